// A tenant's environments (tenant_environments, under row-level security): ordered, each with
// its configuration and protection (jsonb, shaped by contracts/environments.ts) and the status
// its create/delete workflows move it through. Every function runs in the caller's transaction.
import type { EntityManager } from 'typeorm';
import type {
  EnvironmentConfiguration,
  EnvironmentProtection,
  EnvironmentStatus,
} from '../../contracts/environments.ts';

export interface EnvironmentRow {
  id: string;
  tenant_id: string;
  name: string;
  position: number;
  status: EnvironmentStatus;
  status_detail: string | null;
  configuration: EnvironmentConfiguration;
  protection: EnvironmentProtection;
  operation_id: string | null;
  created_by: string | null;
  created_at: Date;
  updated_by: string | null;
  updated_at: Date;
  deleted_at: Date | null;
}

/** The live environments (not deleted), in the tenant's order. */
export function listEnvironments(db: EntityManager, tenantId: string): Promise<EnvironmentRow[]> {
  return db.query<EnvironmentRow[]>(
    `SELECT * FROM tenant_environments WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY position, name`,
    [tenantId],
  );
}

/** The live environment of that name, optionally locked for this transaction. */
export async function findEnvironment(
  db: EntityManager,
  tenantId: string,
  name: string,
  { lock = false }: { lock?: boolean } = {},
): Promise<EnvironmentRow | null> {
  const [row] = await db.query<EnvironmentRow[]>(
    `SELECT * FROM tenant_environments WHERE tenant_id = $1 AND name = $2 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [tenantId, name],
  );
  return row ?? null;
}

/** What the plan's `environments` limit counts: every live environment, whatever its status. */
export async function countEnvironments(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ count: string }>>(
    `SELECT count(*) FROM tenant_environments WHERE tenant_id = $1 AND deleted_at IS NULL`,
    [tenantId],
  );
  return Number(row?.count ?? 0);
}

/**
 * Adds an environment after the tenant's last one. The caller holds the plan-limit lock, so two
 * inserts do not take the same position; a live one of the same name fails the unique index.
 */
export async function insertEnvironment(
  db: EntityManager,
  row: {
    tenant_id: string;
    name: string;
    status: EnvironmentStatus;
    configuration: EnvironmentConfiguration;
    protection: EnvironmentProtection;
    operation_id: string | null;
    created_by: string | null;
    status_detail?: string | null;
  },
): Promise<EnvironmentRow> {
  const [inserted] = await db.query<EnvironmentRow[]>(
    `INSERT INTO tenant_environments
       (tenant_id, name, position, status, status_detail, configuration, protection, operation_id, created_by, updated_by)
     VALUES ($1, $2,
       (SELECT coalesce(max(position), 0) + 1 FROM tenant_environments WHERE tenant_id = $1 AND deleted_at IS NULL),
       $3, $4, $5, $6, $7, $8, $8)
     RETURNING *`,
    [
      row.tenant_id,
      row.name,
      row.status,
      row.status_detail ?? null,
      JSON.stringify(row.configuration),
      JSON.stringify(row.protection),
      row.operation_id,
      row.created_by,
    ],
  );
  return inserted!;
}

export async function updateEnvironment(
  db: EntityManager,
  tenantId: string,
  name: string,
  changes: Partial<
    Pick<EnvironmentRow, 'status' | 'status_detail' | 'configuration' | 'protection' | 'operation_id' | 'updated_by'>
  >,
): Promise<EnvironmentRow | null> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  const sets = entries.map(([key], index) => `${key} = $${index + 3}`);
  if (changes.status === 'deleted') sets.push('deleted_at = now()');
  // Wrapped in a SELECT: TypeORM answers [rows, count] for a bare UPDATE ... RETURNING.
  const [row] = await db.query<EnvironmentRow[]>(
    `WITH updated AS (
       UPDATE tenant_environments SET ${[...sets, 'updated_at = now()'].join(', ')}
        WHERE tenant_id = $1 AND name = $2 AND deleted_at IS NULL RETURNING *)
     SELECT * FROM updated`,
    [
      tenantId,
      name,
      ...entries.map(([key, value]) =>
        key === 'configuration' || key === 'protection' ? JSON.stringify(value) : value,
      ),
    ],
  );
  return row ?? null;
}

/** After an environment is deleted, the ones after it move up one place: positions stay 1, 2, 3, … */
export async function closePositionGap(db: EntityManager, tenantId: string, position: number): Promise<void> {
  await db.query(
    `UPDATE tenant_environments SET position = position - 1
      WHERE tenant_id = $1 AND deleted_at IS NULL AND position > $2`,
    [tenantId, position],
  );
}

/** The names of the tenant's live secrets in an environment (lowercase), to check references against. */
export async function liveSecretNames(db: EntityManager, tenantId: string, environment: string): Promise<Set<string>> {
  const rows = await db.query<Array<{ name: string }>>(
    `SELECT lower(name) AS name FROM tenant_secrets WHERE tenant_id = $1 AND environment = $2 AND deleted_at IS NULL`,
    [tenantId, environment],
  );
  return new Set(rows.map((row) => row.name));
}
