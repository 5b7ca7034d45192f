// Whether workers poll each family's task queue: the Temporal server's view of the pollers
// (a worker that died drops out after about a minute). Reads only.
import type { Client } from '@temporalio/client';
import type { TaskQueueHealth } from '../../contracts/health.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';

// temporal.api.enums.v1: TaskQueueKind NORMAL, TaskQueueType WORKFLOW / ACTIVITY.
const KIND_NORMAL = 1;
const TYPE_WORKFLOW = 1;
const TYPE_ACTIVITY = 2;

export async function describeTaskQueues(
  client: Client,
  options: { namespace: string; taskQueuePrefix: string; timeoutMs: number },
): Promise<TaskQueueHealth[]> {
  const pollers = (name: string, taskQueueType: number) =>
    client.connection
      .withDeadline(Date.now() + options.timeoutMs, () =>
        client.workflowService.describeTaskQueue({
          namespace: options.namespace,
          taskQueue: { name, kind: KIND_NORMAL },
          taskQueueType,
        }),
      )
      .then((answer) => answer.pollers?.length ?? 0);
  return Promise.all(
    WORKFLOW_FAMILIES.map(async (family) => {
      const taskQueue = familyTaskQueue(options.taskQueuePrefix, family);
      const [workflowPollers, activityPollers] = await Promise.all([
        pollers(taskQueue, TYPE_WORKFLOW),
        pollers(taskQueue, TYPE_ACTIVITY),
      ]);
      return { family, taskQueue, workflowPollers, activityPollers };
    }),
  );
}
