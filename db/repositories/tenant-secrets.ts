// Every query on tenant_secrets and tenant_secret_versions (metadata only: values live in the
// secret store). All of them run in the tenant's scope; the caller passes its transaction.
import type { EntityManager } from 'typeorm';
import type { SecretKind } from '../../contracts/secrets.ts';

export interface TenantSecretRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: SecretKind;
  environment: string;
  description: string;
  store_path: string;
  current_version: number;
  consumers: string[];
  rotation_every_seconds: string | null;
  rotation_every: string | null;
  /** The secret's own policy, else its kind's (secret_kind_rotation_policies), else null. */
  effective_every_seconds: string | null;
  next_rotation_at: Date | null;
  created_by: string | null;
  created_by_email: string | null;
  created_at: Date;
  rotated_at: Date | null;
  deleted_at: Date | null;
}

export interface TenantSecretVersionRow {
  secret_id: string;
  version: number;
  store_version: number;
  created_by_email: string | null;
  created_at: Date;
  superseded_at: Date | null;
  retain_until: Date | null;
  purged_at: Date | null;
}

/**
 * A secret's effective rotation interval in seconds: its own policy, else its kind's default
 * (docs/decisions/0039). For a query on tenant_secrets named `s` (or the table itself).
 */
export function effectiveEverySeconds(secret = 's'): string {
  return `coalesce(${secret}.rotation_every_seconds, (SELECT k.every_seconds FROM secret_kind_rotation_policies k
    WHERE k.tenant_id = ${secret}.tenant_id AND k.kind = ${secret}.kind))`;
}

/** The kind's default interval, for an UPDATE of tenant_secrets. */
const KIND_EVERY_SECONDS = `(SELECT k.every_seconds FROM secret_kind_rotation_policies k
  WHERE k.tenant_id = tenant_secrets.tenant_id AND k.kind = tenant_secrets.kind)`;

const COLUMNS = `s.id, s.tenant_id, s.name, s.kind, s.environment, s.description, s.store_path, s.current_version,
  s.consumers, s.rotation_every_seconds, s.rotation_every, ${effectiveEverySeconds()} AS effective_every_seconds,
  s.next_rotation_at, s.created_by, u.email AS created_by_email,
  s.created_at, s.rotated_at, s.deleted_at`;

/** The tenant's live secrets (not deleted), by environment and name. */
export function listTenantSecrets(
  db: EntityManager,
  tenantId: string,
  environment?: string,
): Promise<TenantSecretRow[]> {
  return db.query<TenantSecretRow[]>(
    `SELECT ${COLUMNS} FROM tenant_secrets s LEFT JOIN users u ON u.id = s.created_by
     WHERE s.tenant_id = $1 AND s.deleted_at IS NULL AND ($2::text IS NULL OR s.environment = $2)
     ORDER BY s.environment, lower(s.name), s.id`,
    [tenantId, environment ?? null],
  );
}

/** A live secret of the tenant (a deleted one counts as absent); `lock` holds it until the commit. */
export async function findTenantSecret(
  db: EntityManager,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<TenantSecretRow | null> {
  const rows = await db.query<TenantSecretRow[]>(
    `SELECT ${COLUMNS} FROM tenant_secrets s LEFT JOIN users u ON u.id = s.created_by
     WHERE s.tenant_id = $1 AND s.id = $2 AND s.deleted_at IS NULL ${options.lock ? 'FOR UPDATE OF s' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export interface NewTenantSecret {
  id: string;
  tenantId: string;
  name: string;
  kind: SecretKind;
  environment: string;
  description: string;
  storePath: string;
  storeVersion: number;
  consumers: string[];
  rotation: { everySeconds: number; every: string } | null;
  createdBy: string | null;
}

/** Inserts the secret and its version 1; false when a live secret has the name in that environment. */
export async function insertTenantSecret(db: EntityManager, secret: NewTenantSecret): Promise<boolean> {
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO tenant_secrets (id, tenant_id, name, kind, environment, description, store_path, current_version,
       consumers, rotation_every_seconds, rotation_every, next_rotation_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10,
       now() + make_interval(secs => coalesce($9::bigint, (SELECT k.every_seconds FROM secret_kind_rotation_policies k
         WHERE k.tenant_id = $2 AND k.kind = $4))), $11)
     ON CONFLICT (tenant_id, environment, lower(name)) WHERE deleted_at IS NULL DO NOTHING
     RETURNING id`,
    [
      secret.id,
      secret.tenantId,
      secret.name,
      secret.kind,
      secret.environment,
      secret.description,
      secret.storePath,
      secret.consumers,
      secret.rotation?.everySeconds ?? null,
      secret.rotation?.every ?? null,
      secret.createdBy,
    ],
  );
  if (rows.length === 0) return false;
  await db.query(
    `INSERT INTO tenant_secret_versions (secret_id, version, tenant_id, store_version, created_by)
     VALUES ($1, 1, $2, $3, $4)`,
    [secret.id, secret.tenantId, secret.storeVersion, secret.createdBy],
  );
  return true;
}

/**
 * Makes `storeVersion` the secret's next version: the current one is superseded and kept until
 * `retainUntil`; the next rotation is due one policy interval from now. Returns the new number.
 */
export async function addTenantSecretVersion(
  db: EntityManager,
  secret: TenantSecretRow,
  change: { storeVersion: number; createdBy: string | null; retainUntil: Date },
): Promise<number> {
  // After the highest version, not the current one: a rolled-back rotation's abandoned version
  // (secret_rotations) keeps its number.
  const version = await nextTenantSecretVersion(db, secret.id);
  await db.query(
    `UPDATE tenant_secret_versions SET superseded_at = now(), retain_until = $3
     WHERE secret_id = $1 AND version = $2`,
    [secret.id, secret.current_version, change.retainUntil],
  );
  await db.query(
    `INSERT INTO tenant_secret_versions (secret_id, version, tenant_id, store_version, created_by)
     VALUES ($1, $2, $3, $4, $5)`,
    [secret.id, version, secret.tenant_id, change.storeVersion, change.createdBy],
  );
  await db.query(
    `UPDATE tenant_secrets SET current_version = $2, rotated_at = now(),
       next_rotation_at = now() + make_interval(secs => ${effectiveEverySeconds('tenant_secrets')})
     WHERE id = $1`,
    [secret.id, version],
  );
  return version;
}

/** The number the secret's next version gets: one past the highest, abandoned versions included. */
export async function nextTenantSecretVersion(db: EntityManager, secretId: string): Promise<number> {
  const rows = await db.query<Array<{ next: number }>>(
    `SELECT coalesce(max(version), 0)::int + 1 AS next FROM tenant_secret_versions WHERE secret_id = $1`,
    [secretId],
  );
  return rows[0]!.next;
}

/** Changes the description, consumers and rotation policy (a new policy counts from the last rotation). */
export async function updateTenantSecret(
  db: EntityManager,
  id: string,
  change: { description: string; consumers: string[]; rotation: { everySeconds: number; every: string } | null },
): Promise<void> {
  await db.query(
    `UPDATE tenant_secrets SET description = $2, consumers = $3, rotation_every_seconds = $4, rotation_every = $5,
       next_rotation_at = coalesce(rotated_at, created_at)
         + make_interval(secs => coalesce($4::bigint, ${KIND_EVERY_SECONDS}))
     WHERE id = $1`,
    [id, change.description, change.consumers, change.rotation?.everySeconds ?? null, change.rotation?.every ?? null],
  );
}

/** Marks the secret deleted; every version not yet due is kept until `retainUntil`. */
export async function deleteTenantSecret(
  db: EntityManager,
  id: string,
  change: { deletedBy: string | null; retainUntil: Date },
): Promise<void> {
  await db.query(
    `UPDATE tenant_secrets SET deleted_at = now(), deleted_by = $2, next_rotation_at = NULL WHERE id = $1`,
    [id, change.deletedBy],
  );
  await db.query(
    `UPDATE tenant_secret_versions SET superseded_at = coalesce(superseded_at, now()),
       retain_until = least(coalesce(retain_until, $2), $2)
     WHERE secret_id = $1 AND purged_at IS NULL`,
    [id, change.retainUntil],
  );
}

export function listTenantSecretVersions(db: EntityManager, secretId: string): Promise<TenantSecretVersionRow[]> {
  return db.query<TenantSecretVersionRow[]>(
    `SELECT v.secret_id, v.version, v.store_version, u.email AS created_by_email, v.created_at, v.superseded_at,
            v.retain_until, v.purged_at
     FROM tenant_secret_versions v LEFT JOIN users u ON u.id = v.created_by
     WHERE v.secret_id = $1 ORDER BY v.version DESC`,
    [secretId],
  );
}

export async function findTenantSecretVersion(
  db: EntityManager,
  secretId: string,
  version: number,
): Promise<TenantSecretVersionRow | null> {
  const rows = await db.query<TenantSecretVersionRow[]>(
    `SELECT v.secret_id, v.version, v.store_version, NULL AS created_by_email, v.created_at, v.superseded_at,
            v.retain_until, v.purged_at
     FROM tenant_secret_versions v WHERE v.secret_id = $1 AND v.version = $2`,
    [secretId, version],
  );
  return rows[0] ?? null;
}

export interface DueSecretVersion {
  secret_id: string;
  version: number;
  store_version: number;
  store_path: string;
  secret_deleted: boolean;
}

/** The tenant's versions whose retention has ended and whose values are not destroyed yet (locked). */
export function dueTenantSecretVersions(db: EntityManager, tenantId: string, limit = 200): Promise<DueSecretVersion[]> {
  return db.query<DueSecretVersion[]>(
    `SELECT v.secret_id, v.version, v.store_version, s.store_path, s.deleted_at IS NOT NULL AS secret_deleted
     FROM tenant_secret_versions v JOIN tenant_secrets s ON s.id = v.secret_id
     WHERE v.tenant_id = $1 AND v.purged_at IS NULL AND v.retain_until IS NOT NULL AND v.retain_until <= now()
     ORDER BY v.retain_until LIMIT $2
     FOR UPDATE OF v SKIP LOCKED`,
    [tenantId, limit],
  );
}

export async function markTenantSecretVersionsPurged(
  db: EntityManager,
  secretId: string,
  versions: readonly number[],
): Promise<void> {
  await db.query(
    `UPDATE tenant_secret_versions SET purged_at = now() WHERE secret_id = $1 AND version = ANY($2::int[])`,
    [secretId, [...versions]],
  );
}

/** Whether a deleted secret still has a version whose value is kept. */
export async function hasRetainedVersions(db: EntityManager, secretId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM tenant_secret_versions WHERE secret_id = $1 AND purged_at IS NULL LIMIT 1`,
    [secretId],
  );
  return rows.length > 0;
}

/** Tenants that have versions past their retention with values not destroyed yet (platform scope). */
export async function tenantsWithDueSecretVersions(db: EntityManager, limit = 100): Promise<string[]> {
  const rows = await db.query<Array<{ tenant_id: string }>>(
    `SELECT DISTINCT tenant_id FROM tenant_secret_versions
     WHERE purged_at IS NULL AND retain_until IS NOT NULL AND retain_until <= now() LIMIT $1`,
    [limit],
  );
  return rows.map((row) => row.tenant_id);
}

/** After a kind's default changed: its followers' next due date counts from their last rotation. */
export async function rescheduleSecretsFollowingKind(db: EntityManager, tenantId: string, kind: SecretKind) {
  await db.query(
    `UPDATE tenant_secrets SET next_rotation_at = coalesce(rotated_at, created_at) + make_interval(secs => ${KIND_EVERY_SECONDS})
     WHERE tenant_id = $1 AND kind = $2 AND deleted_at IS NULL AND rotation_every_seconds IS NULL`,
    [tenantId, kind],
  );
}
