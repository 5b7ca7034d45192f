// One environment's namespace with everything the tenant's workloads need: the plan's
// ResourceQuota and LimitRange, the network policies, the workload identity, and the database
// credentials as a Secret (read from the secret store here, never passed in). Provisioning's
// `cluster` step and the environments family's createEnvironment both build namespaces with it.
import { ApplicationFailure } from '@temporalio/activity';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { TenantNamespaceRef } from '../../integrations/cluster/port.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from './deps.ts';
import type { TenantStep } from './kernel.ts';
import { tenantDatabaseSecretPath } from './tenant-teardown.ts';

/** The Kubernetes Secret holding the database credentials in each tenant namespace. */
export const TENANT_DATABASE_K8S_SECRET = 'tenant-database';
/** The ServiceAccount (and Role) the tenant's workloads run as. */
export const TENANT_WORKLOAD_IDENTITY = 'tenant-workload';

/**
 * Ensures the namespace of `ref` and its objects. The namespace is recorded in tenant_resources
 * (under the tenant lock, audited once) as soon as it exists, so a compensation or an offboarding
 * deletes it even if a later object fails. Retry-safe: every object is a server-side apply and
 * the record is create-if-absent. Returns the skip reason when no cluster is configured.
 */
export async function ensureTenantNamespace(
  deps: Pick<ActivityDeps, 'secretStore' | 'cluster'>,
  step: TenantStep,
  ref: TenantNamespaceRef,
  plan: string,
): Promise<{ skipped: string } | { skipped: null; namespace: string }> {
  const { cluster, secretStore } = deps;
  const created = await cluster.port.ensureNamespace(ref);
  if (created.status === 'skipped') return { skipped: created.reason };
  await step.locked(async ({ db, audit }) => {
    const resources = await lockTenantResources(db, ref.tenantId);
    if (resources.clusterNamespaces.includes(created.result.name)) return;
    await updateTenantResources(db, ref.tenantId, {
      clusterNamespaces: [...resources.clusterNamespaces, created.result.name],
    });
    await audit('tenant.namespace_created', 'namespace', created.result.name, { environment: ref.environment, plan });
  });
  await cluster.port.ensureResourceLimits(ref, planDefinition(plan).cluster);
  await cluster.port.ensureNetworkPolicies(ref);
  await cluster.port.ensureWorkloadIdentity(ref, {
    name: TENANT_WORKLOAD_IDENTITY,
    readableSecrets: [TENANT_DATABASE_K8S_SECRET],
  });
  const credentials = await secretStore.read(tenantDatabaseSecretPath(ref.slug));
  if (!credentials)
    throw ApplicationFailure.nonRetryable(
      `The database credentials of tenant "${ref.slug}" are missing from the secret store (${tenantDatabaseSecretPath(ref.slug)}); the database step must run first.`,
      'TenantCredentialsMissing',
    );
  await cluster.port.ensureSecret(ref, { name: TENANT_DATABASE_K8S_SECRET, data: credentials.data });
  return { skipped: null, namespace: created.result.name };
}

/**
 * The environments a new tenant starts with (docs/decisions/0019): CLUSTER_ENVIRONMENTS in its
 * order, as many as the plan allows (free: the first; team: the first three; enterprise: all).
 */
export function planDefaultEnvironments(configured: readonly string[], plan: string): string[] {
  const allowed = planDefinition(plan).limits.environments;
  return allowed === null ? [...configured] : configured.slice(0, allowed);
}
