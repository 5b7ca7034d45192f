// The provisioning step `cluster`: one namespace per configured environment with everything
// the tenant's workloads need, and its compensation. The cluster calls run outside the
// database transaction; each namespace is recorded (under the tenant lock) as soon as it
// exists, so a compensation deletes it even if a later object fails.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { TenantNamespaceRef } from '../../integrations/cluster/port.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { tenantStep } from '../shared/kernel.ts';
import { createTenantTeardown, tenantDatabaseSecretPath } from '../shared/tenant-teardown.ts';

type StepInput = TenantActivityInput & { slug: string };

/** The Kubernetes Secret holding the database credentials in each tenant namespace. */
export const TENANT_DATABASE_K8S_SECRET = 'tenant-database';
/** The ServiceAccount (and Role) the tenant's workloads run as. */
export const TENANT_WORKLOAD_IDENTITY = 'tenant-workload';

export function createClusterActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const { secretStore, cluster } = deps;
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * One namespace per configured environment, with the plan's ResourceQuota and
     * LimitRange, the network policies, the workload identity and the database
     * credentials as a Secret (read from the secret store here, never passed in).
     * Retry-safe: every object is a server-side apply. With no cluster configured it
     * returns the reason it skipped.
     */
    async createTenantNamespaces(
      input: StepInput & { plan: string },
    ): Promise<{ skipped: string | null; namespaces: string[] }> {
      const limits = planDefinition(input.plan).cluster;
      return tenantStep(deps, input, async (step) => {
        const namespaces: string[] = [];
        for (const environment of cluster.environments) {
          const ref: TenantNamespaceRef = { tenantId: input.tenantId, slug: input.slug, environment };
          const created = await cluster.port.ensureNamespace(ref);
          if (created.status === 'skipped') return { skipped: created.reason, namespaces: [] };
          // Recorded at once, so a compensation deletes it even if a later object fails.
          await step.locked(async ({ db, audit }) => {
            const resources = await lockTenantResources(db, input.tenantId);
            if (resources.clusterNamespaces.includes(created.result.name)) return;
            await updateTenantResources(db, input.tenantId, {
              clusterNamespaces: [...resources.clusterNamespaces, created.result.name],
            });
            await audit('tenant.namespace_created', 'namespace', created.result.name, {
              environment,
              plan: input.plan,
            });
          });
          await cluster.port.ensureResourceLimits(ref, limits);
          await cluster.port.ensureNetworkPolicies(ref);
          await cluster.port.ensureWorkloadIdentity(ref, {
            name: TENANT_WORKLOAD_IDENTITY,
            readableSecrets: [TENANT_DATABASE_K8S_SECRET],
          });
          const credentials = await secretStore.read(tenantDatabaseSecretPath(input.slug));
          if (!credentials)
            throw ApplicationFailure.nonRetryable(
              `The database credentials of tenant "${input.slug}" are missing from the secret store (${tenantDatabaseSecretPath(input.slug)}); the database step must run first.`,
              'TenantCredentialsMissing',
            );
          await cluster.port.ensureSecret(ref, { name: TENANT_DATABASE_K8S_SECRET, data: credentials.data });
          namespaces.push(created.result.name);
        }
        return { skipped: null, namespaces };
      });
    },

    /**
     * Compensation of createTenantNamespaces: deletes every namespace it recorded and
     * waits until each is gone. Retry-safe: deleting a missing namespace succeeds.
     */
    async deleteTenantNamespaces(input: StepInput): Promise<void> {
      await tenantStep(deps, input, async (step) => {
        const recorded = await step.locked(
          async ({ db }) => (await lockTenantResources(db, input.tenantId)).clusterNamespaces,
        );
        // Leave room for the attempt to report before its start-to-close timeout.
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        for (const name of recorded) await teardown.deleteNamespace(input, name, timeoutMs, step.locked);
      });
    },
  };
}
