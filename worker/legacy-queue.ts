// The task queue every workflow used before there was one per family. Workflows started there
// must finish there (approvals wait 7 days, offboarding grace periods longer), so the worker
// polls it while any is open, and stops polling once none is (checked every few minutes).
import type { Client } from '@temporalio/client';

/** Open workflows started on `taskQueue` (visibility is eventually consistent: a few seconds late). */
export async function countOpenWorkflows(client: Client, taskQueue: string): Promise<number> {
  const { count } = await client.workflow.count(
    `TaskQueue = ${JSON.stringify(taskQueue)} AND ExecutionStatus = "Running"`,
  );
  return count;
}

/**
 * Calls `drained` once `taskQueue` has no open workflow, checking every `intervalMs`; the
 * returned function stops watching. A failed check (Temporal briefly away) is retried later.
 */
export function watchUntilDrained(
  options: { client: Client; taskQueue: string; intervalMs: number; onCheckFailed: (error: unknown) => void },
  drained: () => void,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      if ((await countOpenWorkflows(options.client, options.taskQueue)) === 0) {
        stopped = true;
        drained();
        return;
      }
    } catch (error) {
      options.onCheckFailed(error);
    }
    if (!stopped) timer = setTimeout(() => void check(), options.intervalMs);
  };
  timer = setTimeout(() => void check(), options.intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
