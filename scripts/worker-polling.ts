// How `npm start` knows the worker is working, not just running: the worker logs "Worker
// started" with its pid and task queues (worker/main.ts), and Temporal then reports a poller
// of that process on each queue, for workflow tasks and activity tasks (DescribeTaskQueue).
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';

export interface StartedWorker {
  pid: number;
  namespace: string;
  taskQueues: string[];
}

/** The worker's "Worker started" log line, read; null for every other line. */
export function parseWorkerStarted(line: string): StartedWorker | null {
  if (!line.includes('"Worker started"')) return null;
  try {
    const entry = JSON.parse(line) as {
      message?: string;
      pid?: number;
      namespace?: string;
      taskQueues?: Array<{ taskQueue: string }>;
    };
    if (entry.message !== 'Worker started' || !entry.pid || !entry.namespace || !entry.taskQueues) return null;
    return { pid: entry.pid, namespace: entry.namespace, taskQueues: entry.taskQueues.map((q) => q.taskQueue) };
  } catch {
    return null;
  }
}

/** temporal.api.enums.v1.TaskQueueType and TaskQueueKind */
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;

/**
 * Resolves once Temporal lists a poller of `worker` on each of its queues, for workflow and
 * activity tasks. A poller is the worker's if its identity is the SDK's default for that
 * process (`<pid>@<host>`): pollers of an earlier run stay listed for a while.
 */
export async function waitForWorkerPolling(
  connection: Pick<Connection, 'workflowService'>,
  worker: StartedWorker,
  { timeoutMs = 30_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const identity = `${worker.pid}@${hostname()}`;
  const deadline = Date.now() + timeoutMs;
  let waiting = worker.taskQueues.flatMap((name) =>
    Object.entries(TASK_QUEUE_TYPES).map(([type, taskQueueType]) => ({ name, type, taskQueueType })),
  );
  for (;;) {
    const polled = await Promise.all(
      waiting.map(async ({ name, taskQueueType }) => {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: worker.namespace,
          taskQueue: { name, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType,
        });
        return (pollers ?? []).some((poller) => poller.identity === identity);
      }),
    );
    waiting = waiting.filter((_, index) => !polled[index]);
    if (waiting.length === 0) return;
    if (Date.now() >= deadline)
      throw new Error(
        `The worker (${identity}) started but Temporal reports no poll from it after ${timeoutMs / 1000} s on ${waiting
          .map(({ name, type }) => `${name} (${type} tasks)`)
          .join(', ')} in namespace "${worker.namespace}". Is the worker connected to the same Temporal server?`,
      );
    await sleep(intervalMs);
  }
}
