// A rotation policy's Temporal Schedule, `secret-rotation/<slug>/<secret>`: every policy
// interval it starts scheduledSecretRotation, which claims the secret's next rotation and runs
// rotateSecret. The secrets routes call this when a policy is set, changed or removed, and when
// a secret is deleted. Kinds with no rotation strategy yet keep their policy (its due date is
// shown) but get no Schedule.
import { deleteScheduleIfPresent, ensureSchedule } from '../schedules/index.ts';
import type { ScheduleDeclaration } from '../schedules/index.ts';
import type { SecretKind } from '../../contracts/secrets.ts';
import type { scheduledSecretRotation } from '../../workflows/secret-rotation/scheduled-secret-rotation.ts';
import { rotationScheduleId, SCHEDULED_ROTATION_KIND } from '../../workflows/secret-rotation/contract.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { ApiDeps } from '../deps.ts';

export interface RotationScheduleTarget {
  tenantId: string;
  slug: string;
  secretId: string;
  kind: SecretKind;
  /** The policy's interval; null: no policy (the Schedule goes). */
  everySeconds: number | null;
}

export function rotationScheduleDeclaration(
  deps: ApiDeps,
  target: RotationScheduleTarget & { everySeconds: number },
): ScheduleDeclaration {
  const entry = OPERATION_CATALOGUE[SCHEDULED_ROTATION_KIND];
  const scheduleId = rotationScheduleId(target.slug, target.secretId);
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
          secretId: target.secretId,
          versionRetentionMs: deps.settings.secrets.versionRetentionMs,
          timings: deps.settings.activityTimings,
        },
      ] satisfies Parameters<typeof scheduledSecretRotation>,
      tenantId: target.tenantId,
      operationKind: SCHEDULED_ROTATION_KIND,
    },
    // A rotation still in its overlap window when the next is due: that one is skipped.
    policies: { overlap: 'SKIP', catchupWindow: '1h' },
    memo: { secretId: target.secretId },
  };
}

/** Makes the secret's Schedule match its policy: created or updated, or deleted when there is none. */
export async function syncRotationSchedule(deps: ApiDeps, target: RotationScheduleTarget): Promise<void> {
  const client = deps.temporal.client;
  if (target.everySeconds === null) {
    await deleteScheduleIfPresent(client, rotationScheduleId(target.slug, target.secretId));
    return;
  }
  await ensureSchedule(client, rotationScheduleDeclaration(deps, { ...target, everySeconds: target.everySeconds }));
}
