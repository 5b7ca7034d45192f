// The cluster port when no cluster is configured (the embedded default): every step
// reports itself as skipped, with the reason, so an operation shows what did not happen.
import type { Cluster, ClusterOutcome } from './port.ts';
import { NO_CLUSTER_REASON } from './port.ts';

const skipped = <T>(): Promise<ClusterOutcome<T>> => Promise.resolve({ status: 'skipped', reason: NO_CLUSTER_REASON });

export class NoCluster implements Cluster {
  readonly kind = 'none';
  readonly target = NO_CLUSTER_REASON;

  ensureNamespace = skipped;
  ensureResourceLimits = skipped;
  ensureNetworkPolicies = skipped;
  ensureWorkloadIdentity = skipped;
  ensureSecret = skipped;
  readSecretData = skipped;
  applyDeployment = skipped;
  readRollout = skipped;
  rollbackDeployment = skipped;
  scaleDownTenant = skipped;
  restoreTenantScale = skipped;
  listTenantNamespaces = skipped;
  deleteNamespace = skipped;
  readNamespaceStatus = skipped;
  describeTenant = skipped;
}
