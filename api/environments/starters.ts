// Starts createEnvironment and deleteEnvironment. Idempotent: the workflow ID names the tenant and
// the environment, so a repeated request finds the running workflow ("already started" for the
// same tenant is success). A closed run's ID may run again: a deleted environment's name is free.
import type { createEnvironment } from '../../workflows/environments/create-environment.ts';
import type { deleteEnvironment } from '../../workflows/environments/delete-environment.ts';
import type { EnvironmentWorkflowInput } from '../../workflows/environments/contract.ts';
import {
  CREATE_ENVIRONMENT_KIND,
  createEnvironmentWorkflowId,
  DELETE_ENVIRONMENT_KIND,
  deleteEnvironmentWorkflowId,
} from '../../workflows/environments/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startCreateEnvironment(
  options: StarterOptions,
  input: Omit<EnvironmentWorkflowInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    kind: CREATE_ENVIRONMENT_KIND,
    workflowId: createEnvironmentWorkflowId(input.slug, input.environment),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof createEnvironment>,
    reuseClosedIds: true,
  });
}

export function startDeleteEnvironment(
  options: StarterOptions,
  input: Omit<EnvironmentWorkflowInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    kind: DELETE_ENVIRONMENT_KIND,
    workflowId: deleteEnvironmentWorkflowId(input.slug, input.environment),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof deleteEnvironment>,
    reuseClosedIds: true,
  });
}
