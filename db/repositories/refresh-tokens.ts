// Refresh tokens: opaque random strings, stored only as SHA-256 hashes. Each use replaces
// the token with a new one of the same family; presenting a used token again means it was
// stolen (or replayed), so the whole family is revoked.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

const PREFIX = 'rt_';

export interface IssuedRefreshToken {
  token: string;
  familyId: string;
  expiresAt: Date;
  /** The tenant whose identity provider started this login (SSO), else null. */
  ssoTenantId: string | null;
}

export type RotationResult =
  | { ok: true; userId: string; next: IssuedRefreshToken }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }
  | { ok: false; reason: 'reused'; userId: string; familyId: string };

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export async function issueRefreshToken(
  db: DataSource | EntityManager,
  userId: string,
  ttlMs: number,
  options: { familyId?: string; ssoTenantId?: string | null } = {},
): Promise<IssuedRefreshToken> {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const familyId = options.familyId ?? randomUUID();
  const ssoTenantId = options.ssoTenantId ?? null;
  const [row] = await db.query<Array<{ expires_at: Date }>>(
    `INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at, sso_tenant_id)
     VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5) RETURNING expires_at`,
    [familyId, userId, hashToken(token), ttlMs, ssoTenantId],
  );
  return { token, familyId, expiresAt: row?.expires_at ?? new Date(), ssoTenantId };
}

/** Exchanges a refresh token for a new one, in one transaction with the token row locked. */
export function rotateRefreshToken(dataSource: DataSource, token: string, ttlMs: number): Promise<RotationResult> {
  return dataSource.transaction(async (db) => {
    const [row] = await db.query<
      Array<{
        id: string;
        family_id: string;
        user_id: string;
        expired: boolean;
        used_at: Date | null;
        revoked_at: Date | null;
        sso_tenant_id: string | null;
      }>
    >(
      `SELECT id, family_id, user_id, expires_at <= now() AS expired, used_at, revoked_at, sso_tenant_id
       FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
      [hashToken(token)],
    );
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.used_at) {
      await revokeFamily(db, row.family_id, 'reuse detected');
      return { ok: false, reason: 'reused', userId: row.user_id, familyId: row.family_id };
    }
    if (row.revoked_at) return { ok: false, reason: 'revoked' };
    if (row.expired) return { ok: false, reason: 'expired' };
    await db.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
    const next = await issueRefreshToken(db, row.user_id, ttlMs, {
      familyId: row.family_id,
      ssoTenantId: row.sso_tenant_id,
    });
    return { ok: true, userId: row.user_id, next };
  });
}

/** Revokes the family of `token` (logout). Returns the family, or null for an unknown token. */
export async function revokeRefreshTokenFamily(
  dataSource: DataSource,
  token: string,
): Promise<{ familyId: string; userId: string } | null> {
  return dataSource.transaction(async (db) => {
    const [row] = await db.query<Array<{ family_id: string; user_id: string }>>(
      `SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1`,
      [hashToken(token)],
    );
    if (!row) return null;
    await revokeFamily(db, row.family_id, 'logout');
    return { familyId: row.family_id, userId: row.user_id };
  });
}

async function revokeFamily(db: EntityManager, familyId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2 WHERE family_id = $1 AND revoked_at IS NULL`,
    [familyId, reason],
  );
}

/** Signs a user out everywhere (a password reset): revokes every live token of theirs. */
export async function revokeAllRefreshTokensOfUser(db: EntityManager, userId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL`,
    [userId, reason],
  );
}

/** A user's id, address and operator role. */
export interface SessionUser {
  id: string;
  email: string;
  operator_role: 'read' | 'write' | null;
}

/**
 * The user whose sign-in `token` (a refresh token from the portal's session cookie) belongs to,
 * while that sign-in lives: not revoked (logout, reuse), not expired, and not used up more than
 * `usedGraceMs` ago (the portal rotates it; requests already on their way carry the old one).
 * Reads only: nothing is rotated, so the portal's session is left as it is.
 */
export async function findSignedInUser(
  db: DataSource | EntityManager,
  token: string,
  usedGraceMs: number,
): Promise<SessionUser | null> {
  const [row] = await db.query<SessionUser[]>(
    `SELECT u.id, u.email, u.operator_role
     FROM refresh_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
       AND (t.used_at IS NULL OR t.used_at > now() - $2 * interval '1 millisecond')`,
    [hashToken(token), usedGraceMs],
  );
  return row ?? null;
}
