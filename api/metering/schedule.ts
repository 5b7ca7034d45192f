// The metering reconciliation's Temporal Schedule, `metering-reconcile/<deployment>` (the
// deployment is TEMPORAL_TASK_QUEUE, so two deployments sharing a Temporal namespace keep two
// Schedules). Every API process makes it match the configuration at boot (api/main.ts); they
// all declare the same one, so the first creates it and the others find it unchanged.
import type { Logger } from '../../logging/logger.ts';
import type { reconcileMetering } from '../../workflows/metering/reconcile-metering.ts';
import { meteringScheduleId, RECONCILE_METERING_KIND } from '../../workflows/metering/contract.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { ApiDeps } from '../deps.ts';
import type { ScheduleDeclaration } from '../schedules/index.ts';
import { deleteScheduleIfPresent, ensureSchedules } from '../schedules/index.ts';

export function meteringScheduleDeclaration(deps: Pick<ApiDeps, 'temporal' | 'settings'>): ScheduleDeclaration {
  const entry = OPERATION_CATALOGUE[RECONCILE_METERING_KIND];
  const scheduleId = meteringScheduleId(deps.temporal.taskQueuePrefix);
  return {
    scheduleId,
    // A few minutes past the hour: the hour just closed has had time to arrive.
    spec: { intervals: [{ every: deps.settings.metering.intervalMs, offset: '5m' }] },
    action: {
      workflowType: entry.workflowType,
      taskQueue: familyTaskQueue(deps.temporal.taskQueuePrefix, entry.family),
      workflowId: scheduleId,
      args: [{ policy: deps.settings.metering.policy, timings: deps.settings.activityTimings }] satisfies Parameters<
        typeof reconcileMetering
      >,
      operationKind: RECONCILE_METERING_KIND,
    },
    // One run at a time; a run due while one is still going starts when it ends (not dropped).
    // Missed runs (Temporal down) are not replayed one by one: one run takes every window not
    // yet reported, so a day of catch-up is one action.
    policies: { overlap: 'BUFFER_ONE', catchupWindow: '1d' },
    memo: { purpose: 'Hourly metering reconciliation with Stripe (docs/decisions/0027)' },
  };
}

/** At boot: the Schedule made to match the configuration, or deleted when METERING_SCHEDULE=off. */
export async function ensureMeteringSchedule(
  deps: Pick<ApiDeps, 'temporal' | 'settings'>,
  logger: Logger,
): Promise<void> {
  if (!deps.settings.metering.schedule) {
    await deleteScheduleIfPresent(deps.temporal.client, meteringScheduleId(deps.temporal.taskQueuePrefix));
    return;
  }
  await ensureSchedules(deps.temporal.client, [meteringScheduleDeclaration(deps)], logger);
}
