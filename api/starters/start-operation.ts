// Starting an operation's workflow, the one way every starter does it: the workflow ID
// names the tenant (and the run), the TenantId and OperationKind search attributes are set,
// and "already started" for the same tenant is success — the caller gets the running one —
// while the same ID held by another tenant's workflow is reported as not started.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { ActivityTimings } from '../../workflows/operation.contract.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/operation.contract.ts';

export interface StarterOptions {
  client: Client;
  taskQueue: string;
  timings: ActivityTimings;
}

export type StartResult = { started: true; workflowId: string; runId: string } | { started: false; workflowId: string };

/** `args` are the workflow's arguments, typed by each starter from the workflow's contract. */
export async function startOperation(
  { client, taskQueue }: StarterOptions,
  run: {
    workflowType: string;
    workflowId: string;
    kind: string;
    tenantId: string;
    args: unknown[];
    /** Whether a closed run's ID may be started again (offboarding after a cancel). Default: never. */
    reuseClosedIds?: boolean;
  },
): Promise<StartResult> {
  const { workflowId, tenantId } = run;
  try {
    const handle = await client.workflow.start(run.workflowType, {
      workflowId,
      taskQueue,
      args: run.args,
      workflowIdReusePolicy: run.reuseClosedIds
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [
        { key: TenantIdSearchAttribute, value: tenantId },
        { key: OperationKindSearchAttribute, value: run.kind },
      ],
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(workflowId).describe();
    if (existing.typedSearchAttributes.get(TenantIdSearchAttribute) === tenantId)
      return { started: true, workflowId, runId: existing.runId };
    return { started: false, workflowId };
  }
}
