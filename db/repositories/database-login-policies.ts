// A tenant's database login rotation policy (tenant_database_login_policies, under row-level
// security; docs/decisions/0036): the interval its Schedule rotates the login at.
import type { EntityManager } from 'typeorm';

export interface DatabaseLoginPolicyRow {
  tenant_id: string;
  every_seconds: number;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function findDatabaseLoginPolicy(
  db: EntityManager,
  tenantId: string,
  options: { lock?: boolean } = {},
): Promise<DatabaseLoginPolicyRow | null> {
  const [row] = await db.query<DatabaseLoginPolicyRow[]>(
    `SELECT * FROM tenant_database_login_policies WHERE tenant_id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId],
  );
  return row ?? null;
}

/** Sets the policy; answers the row before (null: there was none). */
export async function upsertDatabaseLoginPolicy(
  db: EntityManager,
  input: { tenantId: string; everySeconds: number; updatedBy: string | null },
): Promise<{ before: DatabaseLoginPolicyRow | null; after: DatabaseLoginPolicyRow }> {
  const before = await findDatabaseLoginPolicy(db, input.tenantId, { lock: true });
  const [after] = await db.query<DatabaseLoginPolicyRow[]>(
    `INSERT INTO tenant_database_login_policies (tenant_id, every_seconds, updated_by)
     VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET every_seconds = EXCLUDED.every_seconds,
       updated_by = EXCLUDED.updated_by, updated_at = now()
     RETURNING *`,
    [input.tenantId, input.everySeconds, input.updatedBy],
  );
  return { before, after: after! };
}

/** Removes the policy; answers the row removed (null: there was none). */
export async function deleteDatabaseLoginPolicy(
  db: EntityManager,
  tenantId: string,
): Promise<DatabaseLoginPolicyRow | null> {
  const [row] = await db.query<DatabaseLoginPolicyRow[]>(
    `WITH gone AS (DELETE FROM tenant_database_login_policies WHERE tenant_id = $1 RETURNING *) SELECT * FROM gone`,
    [tenantId],
  );
  return row ?? null;
}
