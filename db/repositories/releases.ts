// A tenant's releases (releases, under row-level security): numbered per tenant, immutable (the
// application role may not UPDATE or DELETE). Every function runs in the caller's transaction.
import type { EntityManager } from 'typeorm';

export interface ReleaseRow {
  id: string;
  tenant_id: string;
  number: number;
  image: string;
  configuration_version: string | null;
  notes: string;
  created_by: string | null;
  created_at: Date;
}

/** The tenant's releases, newest first. */
export function listReleases(db: EntityManager, tenantId: string, limit = 200): Promise<ReleaseRow[]> {
  return db.query<ReleaseRow[]>(`SELECT * FROM releases WHERE tenant_id = $1 ORDER BY number DESC LIMIT $2`, [
    tenantId,
    limit,
  ]);
}

export async function findRelease(db: EntityManager, tenantId: string, number: number): Promise<ReleaseRow | null> {
  const [row] = await db.query<ReleaseRow[]>(`SELECT * FROM releases WHERE tenant_id = $1 AND number = $2`, [
    tenantId,
    number,
  ]);
  return row ?? null;
}

/**
 * Adds the tenant's next release. Numbers are taken under a per-tenant lock held until the
 * transaction ends, so two creates never take the same number.
 */
export async function insertRelease(
  db: EntityManager,
  row: {
    tenant_id: string;
    image: string;
    configuration_version: string | null;
    notes: string;
    created_by: string | null;
  },
): Promise<ReleaseRow> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`atrium:releases:${row.tenant_id}`]);
  const [inserted] = await db.query<ReleaseRow[]>(
    `INSERT INTO releases (tenant_id, number, image, configuration_version, notes, created_by)
     VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM releases WHERE tenant_id = $1), $2, $3, $4, $5)
     RETURNING *`,
    [row.tenant_id, row.image, row.configuration_version, row.notes, row.created_by],
  );
  return inserted!;
}
