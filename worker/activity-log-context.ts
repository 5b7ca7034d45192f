// Puts the workflow and run ids into the log context of every activity execution, so
// that whatever an activity logs (through winston directly, or deeper code) carries them.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { withLogContext } from '../logging/context.ts';

export const activityLogContext: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute: (input, next) =>
      withLogContext(
        {
          workflowId: ctx.info.workflowExecution?.workflowId,
          runId: ctx.info.workflowExecution?.runId,
          activityType: ctx.info.activityType,
        },
        () => next(input),
      ),
  },
});
