// Every query on secret_rotations (one row per rotation of a tenant secret), and the rotation
// columns of tenant_secrets and tenant_secret_versions. All in the tenant's scope; the caller
// passes its transaction. Never a value: the report names consumers, outcomes and times.
import type { EntityManager } from 'typeorm';
import { effectiveEverySeconds } from './tenant-secrets.ts';
import type { ConsumerCheck, RotationStatus, RotationStrategy } from '../../contracts/secret-rotation.ts';

export interface SecretRotationRow {
  id: string;
  tenant_id: string;
  secret_id: string;
  number: number;
  workflow_id: string;
  strategy: RotationStrategy;
  trigger: 'schedule' | 'manual';
  requested_by: string | null;
  requested_by_email: string | null;
  status: RotationStatus;
  from_version: number;
  to_version: number | null;
  overlap_until: Date | null;
  due_at: Date | null;
  report: ConsumerCheck[];
  message: string | null;
  /** Which of the rotation's mails were sent (`reminder`, `rolled-back`, `unconfirmed`). */
  mailed: string[];
  confirmed_by_email: string | null;
  confirmed_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
}

/** The statuses of a rotation still under way (at most one per secret). */
export const OPEN_ROTATION_STATUSES: readonly RotationStatus[] = ['running', 'overlap', 'waiting_confirmation'];

const COLUMNS = `r.id, r.tenant_id, r.secret_id, r.number, r.workflow_id, r.strategy, r.trigger, r.requested_by,
  ru.email AS requested_by_email, r.status, r.from_version, r.to_version, r.overlap_until, r.due_at, r.report,
  r.message, r.mailed, cu.email AS confirmed_by_email, r.confirmed_at, r.started_at, r.finished_at`;
const FROM = `secret_rotations r LEFT JOIN users ru ON ru.id = r.requested_by LEFT JOIN users cu ON cu.id = r.confirmed_by`;

/** The number the secret's next rotation gets (hold the secret's row lock while using it). */
export async function nextRotationNumber(db: EntityManager, secretId: string): Promise<number> {
  const rows = await db.query<Array<{ next: number }>>(
    `SELECT coalesce(max(number), 0)::int + 1 AS next FROM secret_rotations WHERE secret_id = $1`,
    [secretId],
  );
  return rows[0]!.next;
}

export async function findOpenRotation(db: EntityManager, secretId: string): Promise<SecretRotationRow | null> {
  const rows = await db.query<SecretRotationRow[]>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE r.secret_id = $1 AND r.status = ANY($2::text[])`,
    [secretId, [...OPEN_ROTATION_STATUSES]],
  );
  return rows[0] ?? null;
}

/** Inserts a running rotation; null when the secret already has an open one. */
export async function insertRotation(
  db: EntityManager,
  rotation: {
    id: string;
    tenantId: string;
    secretId: string;
    number: number;
    workflowId: string;
    strategy: RotationStrategy;
    trigger: 'schedule' | 'manual';
    requestedBy: string | null;
    fromVersion: number;
  },
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `INSERT INTO secret_rotations (id, tenant_id, secret_id, number, workflow_id, strategy, trigger, requested_by,
       status, from_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9)
     ON CONFLICT (secret_id) WHERE status IN ('running', 'overlap', 'waiting_confirmation') DO NOTHING
     RETURNING id`,
    [
      rotation.id,
      rotation.tenantId,
      rotation.secretId,
      rotation.number,
      rotation.workflowId,
      rotation.strategy,
      rotation.trigger,
      rotation.requestedBy,
      rotation.fromVersion,
    ],
  );
  return rows.length > 0;
}

export async function findRotation(
  db: EntityManager,
  tenantId: string,
  secretId: string,
  number: number,
  options: { lock?: boolean } = {},
): Promise<SecretRotationRow | null> {
  const rows = await db.query<SecretRotationRow[]>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE r.tenant_id = $1 AND r.secret_id = $2 AND r.number = $3
     ${options.lock ? 'FOR UPDATE OF r' : ''}`,
    [tenantId, secretId, number],
  );
  return rows[0] ?? null;
}

/** The secret's rotations, newest first. */
export function listRotations(
  db: EntityManager,
  tenantId: string,
  secretId: string,
  limit = 50,
): Promise<SecretRotationRow[]> {
  return db.query<SecretRotationRow[]>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE r.tenant_id = $1 AND r.secret_id = $2 ORDER BY r.number DESC LIMIT $3`,
    [tenantId, secretId, limit],
  );
}

export interface RotationChange {
  status?: RotationStatus;
  to_version?: number | null;
  overlap_until?: Date | null;
  due_at?: Date | null;
  report?: ConsumerCheck[];
  message?: string | null;
  confirmed_by?: string | null;
  confirmed_at?: Date | null;
  finished?: boolean;
}

export async function updateRotation(db: EntityManager, id: string, change: RotationChange): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [column, value] of Object.entries(change)) {
    if (value === undefined || column === 'finished') continue;
    values.push(column === 'report' ? JSON.stringify(value) : value);
    sets.push(`${column} = $${values.length}`);
  }
  if (change.finished) sets.push('finished_at = coalesce(finished_at, now())');
  if (sets.length === 0) return;
  await db.query(`UPDATE secret_rotations SET ${sets.join(', ')} WHERE id = $1`, values);
}

/** How a secret is rotated, as stored (contracts/secret-rotation.ts has the wire shape). */
export interface StoredRotationSettings {
  generator?: { alphabet: 'alphanumeric' | 'hex' | 'base64url'; length: number };
  verifyHooks?: Record<string, string>;
  overlapMs?: number;
}

export async function readRotationSettings(db: EntityManager, secretId: string): Promise<StoredRotationSettings> {
  const rows = await db.query<Array<{ rotation_settings: StoredRotationSettings }>>(
    `SELECT rotation_settings FROM tenant_secrets WHERE id = $1`,
    [secretId],
  );
  return rows[0]?.rotation_settings ?? {};
}

export async function writeRotationSettings(
  db: EntityManager,
  secretId: string,
  settings: StoredRotationSettings,
): Promise<void> {
  await db.query(`UPDATE tenant_secrets SET rotation_settings = $2 WHERE id = $1`, [
    secretId,
    JSON.stringify(settings),
  ]);
}

/** A version a rotation made that is not current yet (no one reads it as current). */
export async function insertPendingSecretVersion(
  db: EntityManager,
  version: { secretId: string; tenantId: string; version: number; storeVersion: number },
): Promise<void> {
  await db.query(
    `INSERT INTO tenant_secret_versions (secret_id, version, tenant_id, store_version, created_by)
     VALUES ($1, $2, $3, $4, NULL)`,
    [version.secretId, version.version, version.tenantId, version.storeVersion],
  );
}

/**
 * Makes `toVersion` current; `fromVersion` is superseded and its value kept at least until
 * `retainUntil` (it stays valid through the overlap window). The next rotation is due one
 * policy interval from now.
 */
export async function switchCurrentSecretVersion(
  db: EntityManager,
  secretId: string,
  change: { fromVersion: number; toVersion: number; retainUntil: Date },
): Promise<void> {
  await db.query(
    `UPDATE tenant_secret_versions SET superseded_at = coalesce(superseded_at, now()),
       retain_until = greatest(coalesce(retain_until, $3), $3)
     WHERE secret_id = $1 AND version = $2`,
    [secretId, change.fromVersion, change.retainUntil],
  );
  await db.query(
    `UPDATE tenant_secrets SET current_version = $2, rotated_at = now(),
       next_rotation_at = now() + make_interval(secs => ${effectiveEverySeconds('tenant_secrets')})
     WHERE id = $1`,
    [secretId, change.toVersion],
  );
}

/**
 * Rolls a rotation back: `fromVersion` is current (again) and kept like a current version;
 * `toVersion` (if it was made) is abandoned and destroyed when `retainUntil` comes.
 */
export async function restoreSecretVersion(
  db: EntityManager,
  secretId: string,
  change: { fromVersion: number; toVersion: number | null; retainUntil: Date },
): Promise<void> {
  await db.query(`UPDATE tenant_secrets SET current_version = $2 WHERE id = $1 AND current_version <> $2`, [
    secretId,
    change.fromVersion,
  ]);
  await db.query(
    `UPDATE tenant_secret_versions SET superseded_at = NULL, retain_until = NULL
     WHERE secret_id = $1 AND version = $2 AND purged_at IS NULL`,
    [secretId, change.fromVersion],
  );
  if (change.toVersion !== null)
    await db.query(
      `UPDATE tenant_secret_versions SET abandoned_at = coalesce(abandoned_at, now()),
         superseded_at = coalesce(superseded_at, now()), retain_until = coalesce(retain_until, $3)
       WHERE secret_id = $1 AND version = $2`,
      [secretId, change.toVersion, change.retainUntil],
    );
}

/** The tenant's secrets with a rotation policy (their Schedules), for ensuring and pausing. */
export function listSecretsWithPolicy(
  db: EntityManager,
  tenantId: string,
): Promise<Array<{ id: string; rotation_every_seconds: string }>> {
  return db.query(
    `SELECT id, ${effectiveEverySeconds('tenant_secrets')} AS rotation_every_seconds FROM tenant_secrets
     WHERE tenant_id = $1 AND deleted_at IS NULL AND ${effectiveEverySeconds('tenant_secrets')} IS NOT NULL`,
    [tenantId],
  );
}

/**
 * Claims the secret's next rotation: one running row, numbered one past the last. Hold the
 * secret's row lock (findTenantSecret with `lock`). Answers the open rotation instead when
 * there is one (a second "rotate now", or the Schedule while one runs).
 */
export async function claimRotation(
  db: EntityManager,
  claim: {
    id: string;
    tenantId: string;
    secretId: string;
    fromVersion: number;
    strategy: RotationStrategy;
    trigger: 'schedule' | 'manual';
    requestedBy: string | null;
    workflowIdOf: (number: number) => string;
  },
): Promise<{ claimed: true; number: number } | { claimed: false; open: SecretRotationRow }> {
  const open = await findOpenRotation(db, claim.secretId);
  if (open) return { claimed: false, open };
  const number = await nextRotationNumber(db, claim.secretId);
  const inserted = await insertRotation(db, { ...claim, number, workflowId: claim.workflowIdOf(number) });
  if (!inserted) return { claimed: false, open: (await findOpenRotation(db, claim.secretId))! };
  return { claimed: true, number };
}

/** Records that the rotation's `key` mail went out; false when it was recorded already. */
export async function markRotationMailed(db: EntityManager, id: string, key: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH marked AS (
       UPDATE secret_rotations SET mailed = array_append(mailed, $2) WHERE id = $1 AND NOT ($2 = ANY(mailed)) RETURNING id
     ) SELECT id FROM marked`,
    [id, key],
  );
  return rows.length > 0;
}
