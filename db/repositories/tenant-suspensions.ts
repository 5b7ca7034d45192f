// Queries on tenant_suspensions: one row per suspension of a tenant, numbered, recording
// what the suspension applied so that reactivation undoes exactly that. Tenant-owned: run
// them in the tenant's scope (activities hold the tenant lock).
import type { EntityManager } from 'typeorm';
import type { ScaledWorkload } from '../../integrations/cluster/port.ts';

export interface TenantSuspensionRow {
  tenant_id: string;
  number: number;
  reason: string;
  requested_by: string | null;
  requested_at: Date;
  suspended_at: Date | null;
  sessions_revoked: number | null;
  workloads: ScaledWorkload[] | null;
  workloads_skipped: string | null;
  /** The Schedules this suspension paused (null until its `schedules` step ran). */
  paused_schedules: string[] | null;
  reactivated_at: Date | null;
}

/** The next suspension's number: one more than the tenant's last. */
export async function nextSuspensionNumber(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ next: number }>>(
    `SELECT coalesce(max(number), 0) + 1 AS next FROM tenant_suspensions WHERE tenant_id = $1`,
    [tenantId],
  );
  return row?.next ?? 1;
}

/** The suspension in force (not reactivated), if any. */
export async function findOpenSuspension(db: EntityManager, tenantId: string): Promise<TenantSuspensionRow | null> {
  const rows = await db.query<TenantSuspensionRow[]>(
    `SELECT * FROM tenant_suspensions WHERE tenant_id = $1 AND reactivated_at IS NULL`,
    [tenantId],
  );
  return rows[0] ?? null;
}

export async function findSuspension(
  db: EntityManager,
  tenantId: string,
  number: number,
): Promise<TenantSuspensionRow | null> {
  const rows = await db.query<TenantSuspensionRow[]>(
    `SELECT * FROM tenant_suspensions WHERE tenant_id = $1 AND number = $2`,
    [tenantId, number],
  );
  return rows[0] ?? null;
}

export async function listSuspensions(db: EntityManager, tenantId: string): Promise<TenantSuspensionRow[]> {
  return db.query<TenantSuspensionRow[]>(`SELECT * FROM tenant_suspensions WHERE tenant_id = $1 ORDER BY number DESC`, [
    tenantId,
  ]);
}

/** Records suspension `number` as in force (inserted if absent; the first time stamp stays). */
export async function ensureSuspension(
  db: EntityManager,
  input: { tenantId: string; number: number; reason: string; requestedBy: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO tenant_suspensions (tenant_id, number, reason, requested_by, suspended_at)
     VALUES ($1, $2, $3, $4, now()) ON CONFLICT (tenant_id, number) DO NOTHING`,
    [input.tenantId, input.number, input.reason, input.requestedBy],
  );
}

export async function recordSuspensionApplied(
  db: EntityManager,
  tenantId: string,
  number: number,
  applied: { sessionsRevoked?: number; workloads?: ScaledWorkload[]; workloadsSkipped?: string | null },
): Promise<void> {
  await db.query(
    `UPDATE tenant_suspensions SET
       sessions_revoked = coalesce($3, sessions_revoked),
       workloads = coalesce($4::jsonb, workloads),
       workloads_skipped = CASE WHEN $5::boolean THEN $6 ELSE workloads_skipped END
     WHERE tenant_id = $1 AND number = $2`,
    [
      tenantId,
      number,
      applied.sessionsRevoked ?? null,
      applied.workloads ? JSON.stringify(applied.workloads) : null,
      applied.workloadsSkipped !== undefined,
      applied.workloadsSkipped ?? null,
    ],
  );
}

/** Records the Schedules the suspension pauses, before it pauses them (a retry pauses the same ones). */
export async function recordSuspensionPausedSchedules(
  db: EntityManager,
  tenantId: string,
  number: number,
  scheduleIds: string[],
): Promise<void> {
  await db.query(`UPDATE tenant_suspensions SET paused_schedules = $3 WHERE tenant_id = $1 AND number = $2`, [
    tenantId,
    number,
    scheduleIds,
  ]);
}

export async function closeSuspension(
  db: EntityManager,
  tenantId: string,
  number: number,
  requestedBy: string | null,
): Promise<boolean> {
  // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
  const rows = await db.query<unknown[]>(
    `WITH closed AS (
       UPDATE tenant_suspensions SET reactivated_at = now(), reactivation_requested_by = $3
       WHERE tenant_id = $1 AND number = $2 AND reactivated_at IS NULL RETURNING number
     )
     SELECT number FROM closed`,
    [tenantId, number, requestedBy],
  );
  return rows.length > 0;
}
