// Signing-key rotation policies (docs/decisions/0038): a platform admin's interval per keyring
// purpose, kept in signing_key_policies, run by the Temporal Schedule
// `signing-key-rotation/<deployment>/<purpose>`, which starts scheduledSigningKeyRotation (a
// rotateSigningKey child, as "rotate now" starts). The Schedule is made to match the row
// whenever a policy is set or removed.
import type { EntityManager } from 'typeorm';
import type { SigningKeyPurpose } from '../../integrations/secrets/signing-keyring.ts';
import { SIGNING_KEY_PURPOSES } from '../../integrations/secrets/signing-keyring.ts';
import type { scheduledSigningKeyRotation } from '../../workflows/secret-rotation/scheduled-signing-key-rotation.ts';
import {
  SCHEDULED_SIGNING_KEY_ROTATION_KIND,
  signingKeyRotationScheduleId,
} from '../../workflows/secret-rotation/contract.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import { deleteScheduleIfPresent, ensureSchedule } from '../schedules/index.ts';
import type { ScheduleDeclaration } from '../schedules/index.ts';
import type { ApiDeps } from '../deps.ts';
import { signingKeyRotationInput } from './signing-key-starter.ts';

/** Scheduled rotations act as the system, not as the admin who set the policy (they may leave). */
const SCHEDULE_ACTOR = { type: 'system', id: null, requestId: null, ip: null } as const;

export interface SigningKeyPolicyRow {
  purpose: SigningKeyPurpose;
  everySeconds: number | null;
  updatedAt: string | null;
}

/** Both keyrings' policies (null: none). */
export async function listSigningKeyPolicies(db: EntityManager): Promise<SigningKeyPolicyRow[]> {
  const rows = await db.query<Array<{ purpose: SigningKeyPurpose; every_seconds: number; updated_at: Date }>>(
    `SELECT purpose, every_seconds, updated_at FROM signing_key_policies`,
  );
  return SIGNING_KEY_PURPOSES.map((purpose) => {
    const row = rows.find((candidate) => candidate.purpose === purpose);
    return {
      purpose,
      everySeconds: row?.every_seconds ?? null,
      updatedAt: row?.updated_at.toISOString() ?? null,
    };
  });
}

/** Sets (or, with null, removes) a keyring's policy row; returns the one it replaced. */
export async function writeSigningKeyPolicy(
  db: EntityManager,
  purpose: SigningKeyPurpose,
  everySeconds: number | null,
): Promise<number | null> {
  const [before] = await db.query<Array<{ every_seconds: number }>>(
    `SELECT every_seconds FROM signing_key_policies WHERE purpose = $1 FOR UPDATE`,
    [purpose],
  );
  if (everySeconds === null) await db.query(`DELETE FROM signing_key_policies WHERE purpose = $1`, [purpose]);
  else
    await db.query(
      `INSERT INTO signing_key_policies (purpose, every_seconds) VALUES ($1, $2)
       ON CONFLICT (purpose) DO UPDATE SET every_seconds = EXCLUDED.every_seconds, updated_at = now()`,
      [purpose, everySeconds],
    );
  return before?.every_seconds ?? null;
}

export function signingKeyPolicyDeclaration(
  deps: ApiDeps,
  purpose: SigningKeyPurpose,
  everySeconds: number,
): ScheduleDeclaration {
  const entry = OPERATION_CATALOGUE[SCHEDULED_SIGNING_KEY_ROTATION_KIND];
  const scheduleId = signingKeyRotationScheduleId(deps.temporal.taskQueuePrefix, purpose);
  return {
    scheduleId,
    spec: { intervals: [{ every: everySeconds * 1_000 }] },
    action: {
      workflowType: entry.workflowType,
      taskQueue: familyTaskQueue(deps.temporal.taskQueuePrefix, entry.family),
      workflowId: scheduleId,
      args: [
        { deployment: deps.temporal.taskQueuePrefix, ...signingKeyRotationInput(deps, SCHEDULE_ACTOR, purpose) },
      ] satisfies Parameters<typeof scheduledSigningKeyRotation>,
      operationKind: SCHEDULED_SIGNING_KEY_ROTATION_KIND,
    },
    // A rotation still under way when the next is due: that one is skipped.
    policies: { overlap: 'SKIP', catchupWindow: '1h' },
    memo: { purpose },
  };
}

/** Makes the keyring's Schedule match its policy: created or updated, or deleted when there is none. */
export async function syncSigningKeyPolicySchedule(
  deps: ApiDeps,
  purpose: SigningKeyPurpose,
  everySeconds: number | null,
): Promise<void> {
  if (everySeconds === null) {
    await deleteScheduleIfPresent(
      deps.temporal.client,
      signingKeyRotationScheduleId(deps.temporal.taskQueuePrefix, purpose),
    );
    return;
  }
  await ensureSchedule(deps.temporal.client, signingKeyPolicyDeclaration(deps, purpose, everySeconds));
}
