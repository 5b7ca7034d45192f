// Queries on the sync tables (db/migrations/1764900000000-CreateConnectorSyncs.ts). All
// tenant-owned: read and written in a tenant-scoped transaction (db/scope.ts), and every query
// names the tenant too.
import type { EntityManager } from 'typeorm';

export type SyncRunStatus = 'running' | 'succeeded' | 'failed';

export interface SyncRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  name: string;
  resource_path: string;
  interval_seconds: number;
  /** Paused by a member (a connection that needs re-authorization pauses the schedule, not this). */
  paused: boolean;
  schedule_id: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  last_run_at: Date | null;
  last_status: 'succeeded' | 'failed' | null;
  last_error: string | null;
}

export interface SyncCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface SyncRunRow extends SyncCounts {
  workflow_id: string;
  tenant_id: string;
  sync_id: string;
  connection_id: string;
  status: SyncRunStatus;
  pages: number;
  next_cursor: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export async function insertSync(
  db: EntityManager,
  row: Pick<
    SyncRow,
    'id' | 'tenant_id' | 'connection_id' | 'name' | 'resource_path' | 'interval_seconds' | 'schedule_id' | 'created_by'
  >,
): Promise<SyncRow> {
  const rows = await db.query<SyncRow[]>(
    `INSERT INTO connector_syncs (id, tenant_id, connection_id, name, resource_path, interval_seconds, schedule_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      row.id,
      row.tenant_id,
      row.connection_id,
      row.name,
      row.resource_path,
      row.interval_seconds,
      row.schedule_id,
      row.created_by,
    ],
  );
  return rows[0]!;
}

export async function findSync(
  db: EntityManager,
  tenantId: string,
  connectionId: string,
  syncId: string,
  options: { lock?: boolean } = {},
): Promise<SyncRow | null> {
  const rows = await db.query<SyncRow[]>(
    `SELECT * FROM connector_syncs WHERE tenant_id = $1 AND connection_id = $2 AND id = $3${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, connectionId, syncId],
  );
  return rows[0] ?? null;
}

export function listSyncs(db: EntityManager, tenantId: string, connectionId: string): Promise<SyncRow[]> {
  return db.query<SyncRow[]>(
    `SELECT * FROM connector_syncs WHERE tenant_id = $1 AND connection_id = $2 ORDER BY created_at, id`,
    [tenantId, connectionId],
  );
}

export async function setSyncPaused(
  db: EntityManager,
  tenantId: string,
  syncId: string,
  paused: boolean,
): Promise<SyncRow | null> {
  const rows = await db.query<SyncRow[]>(
    `WITH changed AS (
       UPDATE connector_syncs SET paused = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *
     ) SELECT * FROM changed`,
    [tenantId, syncId, paused],
  );
  return rows[0] ?? null;
}

export async function deleteSync(db: EntityManager, tenantId: string, syncId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH gone AS (DELETE FROM connector_syncs WHERE tenant_id = $1 AND id = $2 RETURNING id) SELECT * FROM gone`,
    [tenantId, syncId],
  );
  return rows.length > 0;
}

/** The run's row, created by its first attempt; a retried attempt finds the same one. */
export async function beginSyncRun(
  db: EntityManager,
  row: Pick<SyncRunRow, 'workflow_id' | 'tenant_id' | 'sync_id' | 'connection_id'>,
): Promise<SyncRunRow> {
  await db.query(
    `INSERT INTO connector_sync_runs (workflow_id, tenant_id, sync_id, connection_id, status)
     VALUES ($1, $2, $3, $4, 'running') ON CONFLICT (workflow_id) DO NOTHING`,
    [row.workflow_id, row.tenant_id, row.sync_id, row.connection_id],
  );
  return (await findSyncRun(db, row.tenant_id, row.workflow_id, { lock: false }))!;
}

export async function findSyncRun(
  db: EntityManager,
  tenantId: string,
  workflowId: string,
  options: { lock: boolean },
): Promise<SyncRunRow | null> {
  const rows = await db.query<SyncRunRow[]>(
    `SELECT * FROM connector_sync_runs WHERE tenant_id = $1 AND workflow_id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, workflowId],
  );
  return rows[0] ?? null;
}

export function listSyncRuns(db: EntityManager, tenantId: string, syncId: string, limit = 20): Promise<SyncRunRow[]> {
  return db.query<SyncRunRow[]>(
    `SELECT * FROM connector_sync_runs WHERE tenant_id = $1 AND sync_id = $2 ORDER BY started_at DESC, workflow_id LIMIT $3`,
    [tenantId, syncId, limit],
  );
}

/** Records a page done: its number, the next page's cursor and what it added to the counts. */
export async function recordSyncPage(
  db: EntityManager,
  tenantId: string,
  workflowId: string,
  page: { number: number; nextCursor: string | null; counts: SyncCounts },
): Promise<void> {
  await db.query(
    `UPDATE connector_sync_runs
        SET pages = $3, next_cursor = $4, fetched = fetched + $5, created = created + $6,
            updated = updated + $7, unchanged = unchanged + $8
      WHERE tenant_id = $1 AND workflow_id = $2`,
    [
      tenantId,
      workflowId,
      page.number,
      page.nextCursor,
      page.counts.fetched,
      page.counts.created,
      page.counts.updated,
      page.counts.unchanged,
    ],
  );
}

export async function finishSyncRun(
  db: EntityManager,
  tenantId: string,
  workflowId: string,
  outcome: { status: 'succeeded' | 'failed'; error: string | null },
): Promise<SyncRunRow | null> {
  const rows = await db.query<SyncRunRow[]>(
    `WITH changed AS (
       UPDATE connector_sync_runs SET status = $3, error = $4, finished_at = coalesce(finished_at, now())
        WHERE tenant_id = $1 AND workflow_id = $2 RETURNING *
     ) SELECT * FROM changed`,
    [tenantId, workflowId, outcome.status, outcome.error],
  );
  return rows[0] ?? null;
}

export async function recordLastSync(db: EntityManager, run: SyncRunRow): Promise<void> {
  const counts: SyncCounts = {
    fetched: run.fetched,
    created: run.created,
    updated: run.updated,
    unchanged: run.unchanged,
  };
  await db.query(
    `UPDATE connector_syncs SET last_run_at = $3, last_status = $4, last_error = $5 WHERE tenant_id = $1 AND id = $2`,
    [run.tenant_id, run.sync_id, run.finished_at, run.status, run.error],
  );
  await db.query(
    `UPDATE connector_connections SET last_sync_at = $3, last_sync_status = $4, last_sync_counts = $5
      WHERE tenant_id = $1 AND id = $2`,
    [run.tenant_id, run.connection_id, run.finished_at, run.status, JSON.stringify(counts)],
  );
}

export interface FetchedRecord {
  id: string;
  data: unknown;
  hash: string;
}

/**
 * Upserts a page of records (idempotent by provider record id): new ones are created, ones whose
 * JSON changed are updated, the rest left as they are. Answers the page's counts.
 */
export async function upsertRecords(
  db: EntityManager,
  scope: { tenantId: string; connectionId: string; syncId: string; runId: string },
  records: FetchedRecord[],
): Promise<SyncCounts> {
  if (records.length === 0) return { fetched: 0, created: 0, updated: 0, unchanged: 0 };
  const rows = await db.query<Array<{ created: boolean }>>(
    `INSERT INTO connector_records (sync_id, provider_record_id, tenant_id, connection_id, data, data_hash, first_run, last_run)
     SELECT $1, r.id, $2, $3, r.data, r.hash, $4, $4
       FROM jsonb_to_recordset($5::jsonb) AS r (id text, data jsonb, hash text)
     ON CONFLICT (sync_id, provider_record_id) DO UPDATE
       SET data = EXCLUDED.data, data_hash = EXCLUDED.data_hash, last_run = EXCLUDED.last_run, updated_at = now()
       WHERE connector_records.data_hash IS DISTINCT FROM EXCLUDED.data_hash
     RETURNING (xmax = 0) AS created`,
    [scope.syncId, scope.tenantId, scope.connectionId, scope.runId, JSON.stringify(records)],
  );
  const created = rows.filter((row) => row.created).length;
  const updated = rows.length - created;
  return { fetched: records.length, created, updated, unchanged: records.length - rows.length };
}

export async function countRecords(db: EntityManager, tenantId: string, syncId: string): Promise<number> {
  const rows = await db.query<Array<{ count: string }>>(
    `SELECT count(*) FROM connector_records WHERE tenant_id = $1 AND sync_id = $2`,
    [tenantId, syncId],
  );
  return Number(rows[0]!.count);
}
