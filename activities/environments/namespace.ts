// createEnvironment's and deleteEnvironment's steps: the environment's namespace made or removed
// through the cluster port, and the environment's status recorded.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EnvironmentStatus } from '../../contracts/environments.ts';
import { closePositionGap, findEnvironment, updateEnvironment } from '../../db/repositories/tenant-environments.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { ensureTenantNamespace } from '../shared/tenant-namespace.ts';
import { createTenantTeardown } from '../shared/tenant-teardown.ts';

type EnvironmentInput = TenantActivityInput & { slug: string; environment: string };

export function createEnvironmentActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * The environment's namespace `tenant-<slug>-<environment>` with the tenant plan's quota and
     * container limits, the network policies, the workload identity and the database
     * credentials. Retry-safe: every object is a server-side apply and the namespace is recorded
     * (and audited) once. With no cluster configured it returns the reason it skipped.
     */
    async createEnvironmentNamespace(input: EnvironmentInput): Promise<{ namespace: string; skipped: string | null }> {
      return tenantStep(deps, input, async (step) => {
        const plan = await step.locked(async ({ db }) => {
          const environment = await findEnvironment(db, input.tenantId, input.environment);
          if (!environment)
            throw ApplicationFailure.nonRetryable(
              `Environment "${input.environment}" of tenant "${input.slug}" is not recorded (or was deleted).`,
              'EnvironmentMissing',
            );
          const tenant = await findTenantById(db, input.tenantId);
          if (!tenant)
            throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
          return tenant.plan;
        });
        const made = await ensureTenantNamespace(
          deps,
          step,
          { tenantId: input.tenantId, slug: input.slug, environment: input.environment },
          plan,
        );
        return {
          namespace: tenantNamespaceName(input.slug, input.environment),
          skipped: made.skipped,
        };
      });
    },

    /**
     * Deletes the environment's namespace and waits until the API server no longer has it, then
     * drops it from the tenant's record (audited once). Retry-safe: deleting a namespace that is
     * gone succeeds.
     */
    async deleteEnvironmentNamespace(input: EnvironmentInput): Promise<{ namespace: string; skipped: string | null }> {
      return tenantStep(deps, input, async (step) => {
        const name = tenantNamespaceName(input.slug, input.environment);
        // Leave room for the attempt to report before its start-to-close timeout.
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        const deleted = await teardown.deleteNamespace(input, name, timeoutMs, step.locked);
        return { namespace: name, skipped: deleted.skipped };
      });
    },

    /**
     * Records where the environment stands (ready, failed, deleted) with the detail, audited
     * when it changes. Retry-safe: a status already recorded is left as it is; a deleted
     * environment is not found again and nothing happens.
     */
    async recordEnvironmentStatus(
      input: EnvironmentInput & {
        status: Extract<EnvironmentStatus, 'ready' | 'failed' | 'deleted'>;
        detail: string | null;
      },
    ): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const row = await findEnvironment(db, input.tenantId, input.environment, { lock: true });
        if (!row || row.status === input.status) return;
        await updateEnvironment(db, input.tenantId, input.environment, {
          status: input.status,
          status_detail: input.detail,
        });
        if (input.status === 'deleted') await closePositionGap(db, input.tenantId, row.position);
        await auditChange(
          `environment.${input.status === 'ready' ? 'created' : input.status}`,
          'environment',
          input.environment,
          { status: row.status },
          { status: input.status, ...(input.detail ? { detail: input.detail } : {}) },
        );
      });
    },
  };
}
