// Queries on tenant_teardown_reports (a tenant's latest offboarding: reason, the status a
// cancel returns to, and per step what was deleted with the evidence) and tenant_exports
// (the downloadable archives). Tenant-owned: run them in the tenant's scope.
import type { EntityManager } from 'typeorm';

export interface TeardownReportRow {
  tenant_id: string;
  operation_id: string;
  reason: string;
  previous_status: string;
  steps: Record<string, Record<string, unknown>>;
  started_at: Date;
  cancelled_at: Date | null;
  completed_at: Date | null;
}

export interface TenantExportSummary {
  operation_id: string;
  file_name: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  contents: Record<string, unknown>;
  created_at: Date;
}

/**
 * Opens the report of this offboarding operation (a new operation starts it afresh; the
 * same one keeps what it has). Returns the stored row.
 */
export async function openTeardownReport(
  db: EntityManager,
  report: { tenantId: string; operationId: string; reason: string; previousStatus: string },
): Promise<TeardownReportRow> {
  await db.query(
    `INSERT INTO tenant_teardown_reports (tenant_id, operation_id, reason, previous_status)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id) DO UPDATE SET
       operation_id = EXCLUDED.operation_id, reason = EXCLUDED.reason, previous_status = EXCLUDED.previous_status,
       steps = '{}', started_at = now(), cancelled_at = NULL, completed_at = NULL
     WHERE tenant_teardown_reports.operation_id <> EXCLUDED.operation_id`,
    [report.tenantId, report.operationId, report.reason, report.previousStatus],
  );
  const row = await findTeardownReport(db, report.tenantId);
  if (!row) throw new Error(`The teardown report of tenant ${report.tenantId} was not stored.`);
  return row;
}

export async function findTeardownReport(db: EntityManager, tenantId: string): Promise<TeardownReportRow | null> {
  const rows = await db.query<TeardownReportRow[]>(`SELECT * FROM tenant_teardown_reports WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return rows[0] ?? null;
}

/** Stores one step's evidence (replacing what the step stored before). */
export async function recordTeardownStep(
  db: EntityManager,
  tenantId: string,
  step: string,
  evidence: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `UPDATE tenant_teardown_reports SET steps = steps || jsonb_build_object($2::text, $3::jsonb) WHERE tenant_id = $1`,
    [tenantId, step, JSON.stringify(evidence)],
  );
}

export async function markTeardownReport(
  db: EntityManager,
  tenantId: string,
  what: 'cancelled' | 'completed',
): Promise<void> {
  const column = what === 'cancelled' ? 'cancelled_at' : 'completed_at';
  await db.query(`UPDATE tenant_teardown_reports SET ${column} = coalesce(${column}, now()) WHERE tenant_id = $1`, [
    tenantId,
  ]);
}

export async function findExport(
  db: EntityManager,
  tenantId: string,
  operationId: string,
): Promise<TenantExportSummary | null> {
  const rows = await db.query<TenantExportSummary[]>(
    `SELECT operation_id, file_name, media_type, size_bytes, sha256, contents, created_at
     FROM tenant_exports WHERE tenant_id = $1 AND operation_id = $2`,
    [tenantId, operationId],
  );
  return rows[0] ?? null;
}

/** The newest export of the tenant, with its archive. */
export async function findLatestExport(
  db: EntityManager,
  tenantId: string,
): Promise<(TenantExportSummary & { archive: Buffer }) | null> {
  const rows = await db.query<Array<TenantExportSummary & { archive: Buffer }>>(
    `SELECT operation_id, file_name, media_type, size_bytes, sha256, contents, created_at, archive
     FROM tenant_exports WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [tenantId],
  );
  return rows[0] ?? null;
}
