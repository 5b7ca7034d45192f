// Ending a workflow that waits on behalf of a tenant being offboarded (a promotion, a plan
// change): cancel it, wait until Temporal says it closed, and terminate it when it does not
// close in time (no worker polls its queue). Only then does the offboarding record the
// outcome, so the workflow can never write its own after ours (docs/decisions/0026).
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';

/** How long a cancelled workflow has to close before it is terminated. */
export const DEFAULT_CANCEL_WAIT_MS = 30_000;
const DESCRIBE_EVERY_MS = 250;

/** How Temporal says the workflow stands (`NOT_FOUND`: it never started, or is long gone). */
export async function workflowStatus(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw error;
  }
}

const ignoreNotFound = (error: unknown) => {
  if (!(error instanceof WorkflowNotFoundError)) throw error;
};

/**
 * Ends the workflow: cancels it and waits until it closed, terminating it (with `terminateReason`)
 * when it does not close within `cancelWaitMs` (bounded by half the activity's start-to-close
 * timeout). Returns how Temporal says it closed. Retry-safe: a closed workflow is left as it is.
 * Runs inside an activity (it sleeps through the activity's context, so a cancel stops it).
 */
export async function endWorkflow(
  client: Client,
  workflowId: string,
  options: { cancelWaitMs: number; terminateReason: string },
): Promise<string> {
  let status = await workflowStatus(client, workflowId);
  if (status !== 'RUNNING') return status;
  const handle = client.workflow.getHandle(workflowId);
  await handle.cancel().catch(ignoreNotFound);
  const context = Context.current();
  const deadline = Date.now() + Math.min(options.cancelWaitMs, context.info.startToCloseTimeoutMs / 2);
  while (status === 'RUNNING' && Date.now() < deadline) {
    await context.sleep(DESCRIBE_EVERY_MS);
    status = await workflowStatus(client, workflowId);
  }
  if (status !== 'RUNNING') return status;
  await handle.terminate(options.terminateReason).catch(ignoreNotFound);
  status = await workflowStatus(client, workflowId);
  if (status === 'RUNNING') throw new Error(`Workflow ${workflowId} is still running after it was terminated; retrying.`);
  return status;
}
