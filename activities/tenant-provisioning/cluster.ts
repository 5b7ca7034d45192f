// The provisioning step `cluster`: the tenant's environments, one namespace each with everything
// the tenant's workloads need (activities/shared/tenant-namespace.ts), and its compensation. The
// cluster calls run outside the database transaction; each namespace is recorded (under the
// tenant lock) as soon as it exists, so a compensation deletes it even if a later object fails.
//
// Two versions (docs/decisions/0019): createTenantEnvironments (workflows started since the
// `provision-tenant-plan-environments` patch) records the plan's default environments as tenant
// data first and makes a namespace for each; createTenantNamespaces (earlier histories) makes one
// per configured environment, as it always did, and records the environments it made.
import { Context } from '@temporalio/activity';
import type { EntityManager } from 'typeorm';
import { DEFAULT_CONFIGURATION, DEFAULT_PROTECTION } from '../../contracts/environments.ts';
import { lockTenantResources } from '../../db/repositories/tenant-resources.ts';
import {
  findEnvironment,
  insertEnvironment,
  listEnvironments,
  updateEnvironment,
} from '../../db/repositories/tenant-environments.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput, TenantStep, TenantStepTransaction } from '../shared/kernel.ts';
import { tenantStep } from '../shared/kernel.ts';
import { createTenantTeardown } from '../shared/tenant-teardown.ts';
import { ensureTenantNamespace, planDefaultEnvironments } from '../shared/tenant-namespace.ts';

export { TENANT_DATABASE_K8S_SECRET, TENANT_WORKLOAD_IDENTITY } from '../shared/tenant-namespace.ts';

type StepInput = TenantActivityInput & { slug: string };

/** Records the environment (create-if-absent, audited once) and returns whether it is new. */
async function recordEnvironment({ db, audit }: TenantStepTransaction, tenantId: string, name: string, plan: string) {
  if (await findEnvironment(db, tenantId, name)) return false;
  await insertEnvironment(db, {
    tenant_id: tenantId,
    name,
    status: 'creating',
    configuration: DEFAULT_CONFIGURATION,
    protection: DEFAULT_PROTECTION,
    operation_id: null,
    created_by: null,
  });
  await audit('environment.created', 'environment', name, { plan, by: 'provisioning' });
  return true;
}

async function markReady(db: EntityManager, tenantId: string, name: string, detail: string | null) {
  const row = await findEnvironment(db, tenantId, name, { lock: true });
  if (row && row.status === 'creating')
    await updateEnvironment(db, tenantId, name, { status: 'ready', status_detail: detail });
}

export function createClusterActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const { cluster } = deps;
  const teardown = createTenantTeardown(deps);

  /** A namespace per environment name; each environment row is made ready once its namespace is. */
  const namespacesFor = async (step: TenantStep, input: StepInput & { plan: string }, names: readonly string[]) => {
    const namespaces: string[] = [];
    for (const environment of names) {
      const made = await ensureTenantNamespace(
        deps,
        step,
        { tenantId: input.tenantId, slug: input.slug, environment },
        input.plan,
      );
      if (made.skipped !== null) {
        await step.locked(async ({ db }) => {
          for (const name of names) await markReady(db, input.tenantId, name, made.skipped);
        });
        return { skipped: made.skipped, namespaces: [] };
      }
      await step.locked(({ db }) => markReady(db, input.tenantId, environment, null));
      namespaces.push(made.namespace);
    }
    return { skipped: null, namespaces };
  };

  return {
    /**
     * The plan's default environments (CLUSTER_ENVIRONMENTS in order, as many as the plan
     * allows), recorded as the tenant's environments, each with its namespace.
     * Retry-safe: environments are create-if-absent under the tenant lock (audited once), and
     * every cluster object is a server-side apply. With no cluster configured the environments
     * are recorded ready and the reason the namespaces were skipped is returned.
     */
    async createTenantEnvironments(
      input: StepInput & { plan: string },
    ): Promise<{ skipped: string | null; namespaces: string[]; environments: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const defaults = planDefaultEnvironments(cluster.environments, input.plan);
        const environments = await step.locked(async (tx) => {
          // A retry finds the environments already recorded: the list is the tenant's, in its order.
          const existing = await listEnvironments(tx.db, input.tenantId);
          if (existing.length > 0) return existing.map((row) => row.name);
          for (const name of defaults) await recordEnvironment(tx, input.tenantId, name, input.plan);
          return defaults;
        });
        const made = await namespacesFor(step, input, environments);
        return { ...made, environments };
      });
    },

    /**
     * One namespace per configured environment (workflows started before the plan's default
     * environments), each recorded as an environment of the tenant.
     * Retry-safe: every object is a server-side apply, environments are create-if-absent.
     * With no cluster configured it returns the reason it skipped.
     */
    async createTenantNamespaces(
      input: StepInput & { plan: string },
    ): Promise<{ skipped: string | null; namespaces: string[] }> {
      return tenantStep(deps, input, async (step) => {
        await step.locked(async (tx) => {
          for (const name of cluster.environments) await recordEnvironment(tx, input.tenantId, name, input.plan);
        });
        return namespacesFor(step, input, cluster.environments);
      });
    },

    /**
     * Compensation of the `cluster` step: deletes every namespace it recorded and waits until
     * each is gone, and marks the tenant's environments deleted. Retry-safe: deleting a missing
     * namespace succeeds; environments already deleted are left as they are.
     */
    async deleteTenantNamespaces(input: StepInput): Promise<void> {
      await tenantStep(deps, input, async (step) => {
        const recorded = await step.locked(
          async ({ db }) => (await lockTenantResources(db, input.tenantId)).clusterNamespaces,
        );
        // Leave room for the attempt to report before its start-to-close timeout.
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        for (const name of recorded) await teardown.deleteNamespace(input, name, timeoutMs, step.locked);
        await step.locked(async ({ db, audit }) => {
          for (const row of await listEnvironments(db, input.tenantId)) {
            await updateEnvironment(db, input.tenantId, row.name, {
              status: 'deleted',
              status_detail: 'provisioning was undone',
            });
            await audit('environment.deleted', 'environment', row.name, { by: 'provisioning compensation' });
          }
        });
      });
    },
  };
}
