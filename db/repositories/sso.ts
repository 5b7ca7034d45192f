// Queries on a tenant's single sign-on: its provider connection, its verified email
// domains, the provider accounts linked to users, and logins in flight. Run them in a
// tenant-scoped transaction, except the two lookups made before the tenant is known
// (findVerifiedDomain, consumeLoginAttempt), which run in the platform scope.
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SsoRole } from '../../contracts/sso.ts';

export interface SsoConnectionRow {
  tenant_id: string;
  issuer: string;
  client_id: string;
  client_secret_path: string;
  client_secret_version: number;
  default_role: SsoRole;
  sso_required: boolean;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface SsoDomainRow {
  id: string;
  tenant_id: string;
  domain: string;
  verification_email: string;
  verified_at: Date | null;
  token_expires_at: Date | null;
  created_at: Date;
}

const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export async function findSsoConnection(db: EntityManager, tenantId: string): Promise<SsoConnectionRow | null> {
  const rows = await db.query<SsoConnectionRow[]>(`SELECT * FROM sso_connections WHERE tenant_id = $1`, [tenantId]);
  return rows[0] ?? null;
}

export async function upsertSsoConnection(
  db: EntityManager,
  row: Omit<SsoConnectionRow, 'created_at' | 'updated_at'>,
): Promise<void> {
  await db.query(
    `INSERT INTO sso_connections
       (tenant_id, issuer, client_id, client_secret_path, client_secret_version, default_role, sso_required, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id) DO UPDATE SET issuer = $2, client_id = $3, client_secret_path = $4,
       client_secret_version = $5, default_role = $6, sso_required = $7, enabled = $8, updated_at = now()`,
    [
      row.tenant_id,
      row.issuer,
      row.client_id,
      row.client_secret_path,
      row.client_secret_version,
      row.default_role,
      row.sso_required,
      row.enabled,
    ],
  );
}

export async function deleteSsoConnection(db: EntityManager, tenantId: string): Promise<void> {
  await db.query(`DELETE FROM sso_connections WHERE tenant_id = $1`, [tenantId]);
}

export function listSsoDomains(db: EntityManager, tenantId: string): Promise<SsoDomainRow[]> {
  return db.query<SsoDomainRow[]>(
    `SELECT id, tenant_id, domain, verification_email, verified_at, token_expires_at, created_at
     FROM sso_domains WHERE tenant_id = $1 ORDER BY domain`,
    [tenantId],
  );
}

/**
 * Adds the domain (or renews its pending verification) and returns the token to mail.
 * A domain already verified for this tenant keeps its verification (returns null).
 */
export async function requestDomainVerification(
  db: EntityManager,
  input: { tenantId: string; domain: string; email: string; ttlMs: number },
): Promise<{ token: string | null; row: SsoDomainRow }> {
  const token = randomBytes(32).toString('base64url');
  const [row] = await db.query<Array<SsoDomainRow & { renewed: boolean }>>(
    `INSERT INTO sso_domains (tenant_id, domain, verification_email, token_hash, token_expires_at)
     VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')
     ON CONFLICT (tenant_id, domain) DO UPDATE SET
       verification_email = CASE WHEN sso_domains.verified_at IS NULL THEN $3 ELSE sso_domains.verification_email END,
       token_hash = CASE WHEN sso_domains.verified_at IS NULL THEN $4 ELSE sso_domains.token_hash END,
       token_expires_at = CASE WHEN sso_domains.verified_at IS NULL THEN now() + $5 * interval '1 millisecond'
                               ELSE sso_domains.token_expires_at END
     RETURNING id, tenant_id, domain, verification_email, verified_at, token_expires_at, created_at`,
    [input.tenantId, input.domain, input.email, hash(token), input.ttlMs],
  );
  if (!row) throw new Error('sso_domains upsert returned no row');
  return { token: row.verified_at ? null : token, row };
}

export type DomainVerification =
  { ok: true; tenantId: string; domain: string } | { ok: false; reason: 'unknown' | 'expired' | 'verified' | 'taken' };

/**
 * Confirms a domain by the token mailed to an address at it (platform scope: the person
 * clicking may not be signed in). The row is locked, so the token works once.
 */
export async function confirmDomainVerification(db: EntityManager, token: string): Promise<DomainVerification> {
  const [row] = await db.query<
    Array<{ id: string; tenant_id: string; domain: string; verified: boolean; expired: boolean }>
  >(
    `SELECT id, tenant_id, domain, verified_at IS NOT NULL AS verified, token_expires_at <= now() AS expired
     FROM sso_domains WHERE token_hash = $1 FOR UPDATE`,
    [hash(token)],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.verified) return { ok: false, reason: 'verified' };
  if (row.expired) return { ok: false, reason: 'expired' };
  const [taken] = await db.query<unknown[]>(
    `SELECT 1 FROM sso_domains WHERE domain = $1 AND verified_at IS NOT NULL AND id <> $2`,
    [row.domain, row.id],
  );
  if (taken) return { ok: false, reason: 'taken' };
  // The token hash stays: opening the link again says "verified already", not "unknown".
  await db.query(`UPDATE sso_domains SET verified_at = now() WHERE id = $1`, [row.id]);
  return { ok: true, tenantId: row.tenant_id, domain: row.domain };
}

export async function deleteSsoDomain(
  db: EntityManager,
  tenantId: string,
  domain: string,
): Promise<SsoDomainRow | null> {
  const rows = await db.query<SsoDomainRow[]>(
    `DELETE FROM sso_domains WHERE tenant_id = $1 AND domain = $2
     RETURNING id, tenant_id, domain, verification_email, verified_at, token_expires_at, created_at`,
    [tenantId, domain],
  );
  return rows[0] ?? null;
}

export interface SsoRoute {
  tenantId: string;
  slug: string;
  /** The tenant's plan: signing in through SSO (and requiring it) needs its `sso` feature. */
  plan: string;
  enabled: boolean;
  ssoRequired: boolean;
}

/** The tenant whose verified domain `domain` is, with its SSO settings (platform scope). */
export async function findVerifiedDomain(db: EntityManager, domain: string): Promise<SsoRoute | null> {
  const rows = await db.query<
    Array<{ tenant_id: string; slug: string; plan: string; enabled: boolean; sso_required: boolean }>
  >(
    `SELECT d.tenant_id, t.slug, t.plan, coalesce(c.enabled, false) AS enabled, coalesce(c.sso_required, false) AS sso_required
     FROM sso_domains d
     JOIN tenants t ON t.id = d.tenant_id
     LEFT JOIN sso_connections c ON c.tenant_id = d.tenant_id
     WHERE d.domain = lower($1) AND d.verified_at IS NOT NULL`,
    [domain],
  );
  const row = rows[0];
  return row
    ? { tenantId: row.tenant_id, slug: row.slug, plan: row.plan, enabled: row.enabled, ssoRequired: row.sso_required }
    : null;
}

export async function isVerifiedDomainOf(db: EntityManager, tenantId: string, domain: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM sso_domains WHERE tenant_id = $1 AND domain = lower($2) AND verified_at IS NOT NULL`,
    [tenantId, domain],
  );
  return rows.length > 0;
}

export async function recordLoginAttempt(
  db: EntityManager,
  input: {
    tenantId: string;
    state: string;
    nonce: string;
    codeVerifier: string;
    returnTo: string | null;
    ttlMs: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO sso_login_attempts (tenant_id, state_hash, nonce, code_verifier, return_to, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond')`,
    [input.tenantId, hash(input.state), input.nonce, input.codeVerifier, input.returnTo, input.ttlMs],
  );
}

export type LoginAttemptUse =
  | { ok: true; tenantId: string; nonce: string; codeVerifier: string; returnTo: string | null }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Uses up the login started with `state` (platform scope; row locked: one callback wins). */
export async function consumeLoginAttempt(db: EntityManager, state: string): Promise<LoginAttemptUse> {
  const [row] = await db.query<
    Array<{
      id: string;
      tenant_id: string;
      nonce: string;
      code_verifier: string;
      return_to: string | null;
      used: boolean;
      expired: boolean;
    }>
  >(
    `SELECT id, tenant_id, nonce, code_verifier, return_to, used_at IS NOT NULL AS used, expires_at <= now() AS expired
     FROM sso_login_attempts WHERE state_hash = $1 FOR UPDATE`,
    [hash(state)],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.used) return { ok: false, reason: 'used' };
  if (row.expired) return { ok: false, reason: 'expired' };
  await db.query(`UPDATE sso_login_attempts SET used_at = now() WHERE id = $1`, [row.id]);
  return {
    ok: true,
    tenantId: row.tenant_id,
    nonce: row.nonce,
    codeVerifier: row.code_verifier,
    returnTo: row.return_to,
  };
}

export async function findSsoIdentity(
  db: EntityManager,
  tenantId: string,
  issuer: string,
  subject: string,
): Promise<string | null> {
  const rows = await db.query<Array<{ user_id: string }>>(
    `SELECT user_id FROM sso_identities WHERE tenant_id = $1 AND issuer = $2 AND subject = $3`,
    [tenantId, issuer, subject],
  );
  return rows[0]?.user_id ?? null;
}

/** Links the provider account to the user, or records the login of a linked one. */
export async function linkSsoIdentity(
  db: EntityManager,
  input: { tenantId: string; issuer: string; subject: string; userId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO sso_identities (tenant_id, issuer, subject, user_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, issuer, subject) DO UPDATE SET last_login_at = now()`,
    [input.tenantId, input.issuer, input.subject, input.userId],
  );
}
