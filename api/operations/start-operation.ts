// Starting an operation's workflow, the one way every starter does it: the catalogue row of
// the kind names the workflow type and the family's task queue; the workflow ID names the
// tenant (and the run); the TenantId and OperationKind search attributes are set; and
// "already started" for the same tenant is success — the caller gets the running one — while
// the same ID held by another tenant's workflow is reported as not started.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { OperationKind } from '../../workflows/catalogue.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import type { ActivityTimings } from '../../workflows/shared/operation.contract.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';

export interface StarterOptions {
  client: Client;
  /** TEMPORAL_TASK_QUEUE; the workflow goes to `<prefix>-<family>`. */
  taskQueuePrefix: string;
  timings: ActivityTimings;
}

export type StartResult = { started: true; workflowId: string; runId: string } | { started: false; workflowId: string };

/** `args` are the workflow's arguments, typed by each starter from the workflow's contract. */
export async function startOperation(
  { client, taskQueuePrefix }: StarterOptions,
  run: {
    kind: OperationKind;
    workflowId: string;
    /** The tenant the operation belongs to; null only for the catalogue's platform-wide kinds. */
    tenantId: string | null;
    args: unknown[];
    /** Whether a closed run's ID may be started again (offboarding after a cancel). Default: never. */
    reuseClosedIds?: boolean;
    /** Search attributes of the family's own (a connector's `ConnectionId`), beside TenantId and OperationKind. */
    searchAttributes?: SearchAttributePair[];
  },
): Promise<StartResult> {
  const { workflowId, tenantId } = run;
  const entry = OPERATION_CATALOGUE[run.kind];
  if ((entry.scope === 'tenant') !== (tenantId !== null))
    throw new Error(`${run.kind} is a ${entry.scope} operation: ${tenantId ? 'it has no tenant' : 'name its tenant'}.`);
  const searchAttributes: SearchAttributePair[] = [{ key: OperationKindSearchAttribute, value: run.kind }];
  if (tenantId !== null) searchAttributes.push({ key: TenantIdSearchAttribute, value: tenantId });
  searchAttributes.push(...(run.searchAttributes ?? []));
  try {
    const handle = await client.workflow.start(entry.workflowType, {
      workflowId,
      taskQueue: familyTaskQueue(taskQueuePrefix, entry.family),
      args: run.args,
      workflowIdReusePolicy: run.reuseClosedIds
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: searchAttributes,
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(workflowId).describe();
    if ((existing.typedSearchAttributes.get(TenantIdSearchAttribute) ?? null) === tenantId)
      return { started: true, workflowId, runId: existing.runId };
    return { started: false, workflowId };
  }
}

/**
 * Signals an operation's workflow, starting it first when it is not running (a sequencer that
 * is fed events): the catalogue row names the type and the family's queue, and the search
 * attributes are set as `startOperation` sets them. The workflow ID must name the tenant (its
 * slug and an id of the tenant's own), since a running workflow is signalled as it is.
 */
export async function signalWithStartOperation(
  { client, taskQueuePrefix }: Pick<StarterOptions, 'client' | 'taskQueuePrefix'>,
  run: {
    kind: OperationKind;
    workflowId: string;
    tenantId: string;
    args: unknown[];
    signal: string;
    signalArgs: unknown[];
  },
): Promise<{ workflowId: string; runId: string }> {
  const entry = OPERATION_CATALOGUE[run.kind];
  if (entry.scope !== 'tenant') throw new Error(`${run.kind} is a ${entry.scope} operation: it has no tenant.`);
  const handle = await client.workflow.signalWithStart(entry.workflowType, {
    workflowId: run.workflowId,
    taskQueue: familyTaskQueue(taskQueuePrefix, entry.family),
    args: run.args,
    signal: run.signal,
    signalArgs: run.signalArgs,
    typedSearchAttributes: [
      { key: OperationKindSearchAttribute, value: run.kind },
      { key: TenantIdSearchAttribute, value: run.tenantId },
    ],
  });
  return { workflowId: run.workflowId, runId: handle.signaledRunId };
}
