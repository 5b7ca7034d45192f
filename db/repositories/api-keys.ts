// Every query on api_keys. Listing and changes run in the tenant's scope; the lookup by
// prefix at sign-in runs in the platform scope, because the tenant is not known yet.
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../contracts/members.ts';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  role: Role;
  created_by: string | null;
  created_by_email: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface ApiKeyCredentials {
  id: string;
  tenant_id: string;
  role: Role;
  secret_hash: Buffer;
  expires_at: Date | null;
  revoked_at: Date | null;
  /** Its use was recorded less than a minute ago (touchApiKey need not write). */
  used_recently: boolean;
}

const COLUMNS = `k.id, k.tenant_id, k.name, k.prefix, k.role, k.created_by, u.email AS created_by_email,
  k.created_at, k.expires_at, k.last_used_at, k.revoked_at`;

export function listApiKeys(db: EntityManager, tenantId: string): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow[]>(
    `SELECT ${COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
     WHERE k.tenant_id = $1 ORDER BY k.created_at DESC, k.id`,
    [tenantId],
  );
}

export async function findApiKey(db: EntityManager, tenantId: string, id: string): Promise<ApiKeyRow | null> {
  const rows = await db.query<ApiKeyRow[]>(
    `SELECT ${COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.tenant_id = $1 AND k.id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

/** Inserts the key; null when an active key of the tenant already has this name. */
export async function insertApiKey(
  db: EntityManager,
  key: {
    tenantId: string;
    name: string;
    prefix: string;
    secretHash: Buffer;
    role: Role;
    createdBy: string;
    expiresAt: Date | null;
  },
): Promise<string | null> {
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO api_keys (tenant_id, name, prefix, secret_hash, role, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, lower(name)) WHERE revoked_at IS NULL DO NOTHING
     RETURNING id`,
    [key.tenantId, key.name, key.prefix, key.secretHash, key.role, key.createdBy, key.expiresAt],
  );
  return rows[0]?.id ?? null;
}

/** Marks the key revoked; false when it was revoked already. */
export async function revokeApiKey(db: EntityManager, id: string, revokedBy: string): Promise<boolean> {
  // Wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count], not the rows.
  const rows = await db.query<unknown[]>(
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id
     ) SELECT id FROM revoked`,
    [id, revokedBy],
  );
  return rows.length > 0;
}

/**
 * A presented key's credentials, in one statement outside any tenant scope (the SECURITY
 * DEFINER function atrium_api_key_credentials: the key's tenant is what is looked up).
 */
export async function findApiKeyByPrefix(db: DataSource, prefix: string): Promise<ApiKeyCredentials | null> {
  const rows = await db.query<ApiKeyCredentials[]>(`SELECT * FROM atrium_api_key_credentials($1)`, [prefix]);
  return rows[0] ?? null;
}

/** Records use, at most once a minute per key, so busy keys do not write on every request. */
export async function touchApiKey(db: EntityManager, id: string): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}

/** The tenant's key with this prefix, with its hash (a rotation checks the secret's value against it). */
export async function findTenantApiKeyByPrefix(
  db: EntityManager,
  tenantId: string,
  prefix: string,
): Promise<(ApiKeyRow & { secret_hash: Buffer }) | null> {
  const rows = await db.query<Array<ApiKeyRow & { secret_hash: Buffer }>>(
    `SELECT ${COLUMNS}, k.secret_hash FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
     WHERE k.tenant_id = $1 AND k.prefix = $2`,
    [tenantId, prefix],
  );
  return rows[0] ?? null;
}

/** The active (not revoked) key of the tenant with this name, if any. */
export async function findActiveApiKeyByName(
  db: EntityManager,
  tenantId: string,
  name: string,
): Promise<ApiKeyRow | null> {
  const rows = await db.query<ApiKeyRow[]>(
    `SELECT ${COLUMNS} FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
     WHERE k.tenant_id = $1 AND lower(k.name) = lower($2) AND k.revoked_at IS NULL`,
    [tenantId, name],
  );
  return rows[0] ?? null;
}

/** Makes the key stop working at `at` at the latest (an earlier expiry is kept). */
export async function expireApiKeyBy(db: EntityManager, id: string, at: Date): Promise<void> {
  await db.query(`UPDATE api_keys SET expires_at = least(coalesce(expires_at, $2), $2) WHERE id = $1`, [id, at]);
}

/** Revokes the key on Atrium's own behalf (a rotation): no member did it. False when it was revoked already. */
export async function revokeApiKeyBySystem(db: EntityManager, id: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH revoked AS (UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id)
     SELECT id FROM revoked`,
    [id],
  );
  return rows.length > 0;
}
