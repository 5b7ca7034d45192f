// The contract of the environments family (docs/decisions/0019). createEnvironment
// (`environment-create/<slug>/<environment>`) makes an environment's namespace
// `tenant-<slug>-<environment>` with what the tenant's workloads need (the plan's quota and
// container limits, the network policies, the workload identity, the database credentials) and
// marks the environment ready; deleteEnvironment (`environment-delete/<slug>/<environment>`)
// deletes the namespace, waits until it is gone and marks the environment deleted. The API
// records the environment (creating / deleting) before it starts either.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const CREATE_ENVIRONMENT_KIND = 'environment-create' satisfies OperationKind;
export const DELETE_ENVIRONMENT_KIND = 'environment-delete' satisfies OperationKind;

export function createEnvironmentWorkflowId(slug: string, environment: string): string {
  return OPERATION_CATALOGUE[CREATE_ENVIRONMENT_KIND].workflowId({ slug, environment });
}

export function deleteEnvironmentWorkflowId(slug: string, environment: string): string {
  return OPERATION_CATALOGUE[DELETE_ENVIRONMENT_KIND].workflowId({ slug, environment });
}

export interface EnvironmentWorkflowInput {
  tenantId: string;
  slug: string;
  environment: string;
  requestedBy: AuditActor;
  timings: ActivityTimings;
}

export interface EnvironmentWorkflowResult {
  environment: string;
  namespace: string;
  /** `ready` or `deleted`. */
  status: 'ready' | 'deleted';
  /** Why the cluster part was skipped (no cluster configured), or null. */
  skipped: string | null;
  progress: OperationProgress;
}

export const CREATE_ENVIRONMENT_STEPS = [
  {
    name: 'namespace',
    title: 'Create the namespace with the plan’s quota, network policies, workload identity and credentials',
  },
  { name: 'ready', title: 'Mark the environment ready' },
] as const;
export type CreateEnvironmentStep = (typeof CREATE_ENVIRONMENT_STEPS)[number]['name'];

export const DELETE_ENVIRONMENT_STEPS = [
  { name: 'namespace', title: 'Delete the namespace and wait until the cluster no longer has it' },
  { name: 'record', title: 'Mark the environment deleted' },
] as const;
export type DeleteEnvironmentStep = (typeof DELETE_ENVIRONMENT_STEPS)[number]['name'];
