// A tenant's plan changes (plan_changes, tenant-owned).
// Every function runs in the caller's transaction, scoped to the tenant.
import type { EntityManager } from 'typeorm';
import type { AuditActor } from './audit-log.ts';

export interface PlanChangeRow {
  tenant_id: string;
  number: number;
  from_plan: string;
  to_plan: string;
  direction: 'upgrade' | 'downgrade';
  timing: 'now' | 'period-end';
  status: 'requested' | 'awaiting-approval' | 'scheduled' | 'applied' | 'refused' | 'rejected' | 'cancelled' | 'failed';
  effective_at: Date | null;
  detail: string | null;
  license_id: string | null;
  requested_by: AuditActor;
  requested_at: Date;
  updated_at: Date;
}

export async function nextPlanChangeNumber(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ next: number }>>(
    `SELECT coalesce(max(number), 0) + 1 AS next FROM plan_changes WHERE tenant_id = $1`,
    [tenantId],
  );
  return Number(row?.next ?? 1);
}

/**
 * Records a requested change. False when another change of the tenant is open (requested or
 * scheduled) or the number was taken by a request at the same moment: nothing is inserted.
 */
export async function insertPlanChange(
  db: EntityManager,
  row: Pick<PlanChangeRow, 'tenant_id' | 'number' | 'from_plan' | 'to_plan' | 'direction' | 'timing' | 'requested_by'>,
): Promise<boolean> {
  const inserted = await db.query<unknown[]>(
    `INSERT INTO plan_changes (tenant_id, number, from_plan, to_plan, direction, timing, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING number`,
    [
      row.tenant_id,
      row.number,
      row.from_plan,
      row.to_plan,
      row.direction,
      row.timing,
      JSON.stringify(row.requested_by),
    ],
  );
  return inserted.length > 0;
}

export async function findPlanChange(
  db: EntityManager,
  tenantId: string,
  number: number,
): Promise<PlanChangeRow | null> {
  const [row] = await db.query<PlanChangeRow[]>(`SELECT * FROM plan_changes WHERE tenant_id = $1 AND number = $2`, [
    tenantId,
    number,
  ]);
  return row ?? null;
}

export async function findOpenPlanChange(db: EntityManager, tenantId: string): Promise<PlanChangeRow | null> {
  const [row] = await db.query<PlanChangeRow[]>(
    `SELECT * FROM plan_changes WHERE tenant_id = $1 AND status IN ('requested', 'awaiting-approval', 'scheduled')`,
    [tenantId],
  );
  return row ?? null;
}

export async function listPlanChanges(db: EntityManager, tenantId: string, limit: number): Promise<PlanChangeRow[]> {
  return db.query<PlanChangeRow[]>(`SELECT * FROM plan_changes WHERE tenant_id = $1 ORDER BY number DESC LIMIT $2`, [
    tenantId,
    limit,
  ]);
}

export async function updatePlanChange(
  db: EntityManager,
  tenantId: string,
  number: number,
  change: {
    status: PlanChangeRow['status'];
    effectiveAt?: Date | null;
    detail?: string | null;
    licenseId?: string | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE plan_changes SET status = $3,
       effective_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE effective_at END,
       detail = CASE WHEN $6::boolean THEN $7 ELSE detail END,
       license_id = coalesce($8::uuid, license_id),
       updated_at = now()
     WHERE tenant_id = $1 AND number = $2`,
    [
      tenantId,
      number,
      change.status,
      change.effectiveAt !== undefined,
      change.effectiveAt ?? null,
      change.detail !== undefined,
      change.detail ?? null,
      change.licenseId ?? null,
    ],
  );
}
