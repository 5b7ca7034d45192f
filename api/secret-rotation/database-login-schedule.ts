// A tenant's database login rotation policy's Temporal Schedule, `database-login-rotation/<slug>`
// (docs/decisions/0036): every policy interval it starts scheduledDatabaseLoginRotation, which
// checks the tenant is active and no rotation is open and runs rotateDatabaseLogin. The
// database-login routes call this when a policy is set, changed or removed.
import { deleteScheduleIfPresent, ensureSchedule } from '../schedules/index.ts';
import type { ScheduleDeclaration } from '../schedules/index.ts';
import type { scheduledDatabaseLoginRotation } from '../../workflows/secret-rotation/scheduled-database-login-rotation.ts';
import { DATABASE_LOGIN_SCHEDULE_KIND, databaseLoginScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { ApiDeps } from '../deps.ts';

export interface DatabaseLoginScheduleTarget {
  tenantId: string;
  slug: string;
  /** The policy's interval; null: no policy (the Schedule goes). */
  everySeconds: number | null;
}

export function databaseLoginScheduleDeclaration(
  deps: ApiDeps,
  target: DatabaseLoginScheduleTarget & { everySeconds: number },
): ScheduleDeclaration {
  const entry = OPERATION_CATALOGUE[DATABASE_LOGIN_SCHEDULE_KIND];
  const scheduleId = databaseLoginScheduleId(target.slug);
  return {
    scheduleId,
    spec: { intervals: [{ every: target.everySeconds * 1_000 }] },
    action: {
      workflowType: entry.workflowType,
      taskQueue: familyTaskQueue(deps.temporal.taskQueuePrefix, entry.family),
      workflowId: scheduleId,
      args: [
        {
          tenantId: target.tenantId,
          slug: target.slug,
          overlapMs: deps.settings.secrets.databaseLoginOverlapMs,
          timings: deps.settings.activityTimings,
        },
      ] satisfies Parameters<typeof scheduledDatabaseLoginRotation>,
      tenantId: target.tenantId,
      operationKind: DATABASE_LOGIN_SCHEDULE_KIND,
    },
    // A rotation still in its overlap window when the next is due: that one is skipped.
    policies: { overlap: 'SKIP', catchupWindow: '1h' },
    memo: { tenantId: target.tenantId },
  };
}

/** Makes the tenant's Schedule match its policy: created or updated, or deleted when there is none. */
export async function syncDatabaseLoginSchedule(deps: ApiDeps, target: DatabaseLoginScheduleTarget): Promise<void> {
  const client = deps.temporal.client;
  if (target.everySeconds === null) {
    await deleteScheduleIfPresent(client, databaseLoginScheduleId(target.slug));
    return;
  }
  await ensureSchedule(
    client,
    databaseLoginScheduleDeclaration(deps, { ...target, everySeconds: target.everySeconds }),
  );
}
