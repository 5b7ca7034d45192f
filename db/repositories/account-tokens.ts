// Single-use tokens mailed as links (email verification, password reset). Only their
// SHA-256 is stored; the token itself exists in the mail alone.
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';

export type AccountTokenPurpose = 'verify_email' | 'reset_password';

export function hashAccountToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Creates a token for the user and returns it (to mail); 256 random bits. */
export async function issueAccountToken(
  db: EntityManager,
  input: { userId: string; purpose: AccountTokenPurpose; email: string; ttlMs: number },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO account_tokens (user_id, purpose, token_hash, email, expires_at)
     VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
    [input.userId, input.purpose, hashAccountToken(token), input.email, input.ttlMs],
  );
  return token;
}

export type TokenUse =
  { ok: true; userId: string; email: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Uses the token up (locking its row, so two uses at once cannot both succeed). */
export async function consumeAccountToken(
  db: EntityManager,
  token: string,
  purpose: AccountTokenPurpose,
): Promise<TokenUse> {
  const [row] = await db.query<Array<{ id: string; user_id: string; email: string; used: boolean; expired: boolean }>>(
    `SELECT id, user_id, email, used_at IS NOT NULL AS used, expires_at <= now() AS expired
     FROM account_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE`,
    [hashAccountToken(token), purpose],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.used) return { ok: false, reason: 'used' };
  if (row.expired) return { ok: false, reason: 'expired' };
  await db.query(`UPDATE account_tokens SET used_at = now() WHERE id = $1`, [row.id]);
  return { ok: true, userId: row.user_id, email: row.email };
}

/** How many tokens of this purpose the user got within the window (mail rate limits). */
export async function countRecentAccountTokens(
  db: EntityManager,
  userId: string,
  purpose: AccountTokenPurpose,
  windowMs: number,
): Promise<{ count: number; oldest: Date | null }> {
  const [row] = await db.query<Array<{ count: number; oldest: Date | null }>>(
    `SELECT count(*)::int AS count, min(created_at) AS oldest FROM account_tokens
     WHERE user_id = $1 AND purpose = $2 AND created_at > now() - $3 * interval '1 millisecond'`,
    [userId, purpose, windowMs],
  );
  return row ?? { count: 0, oldest: null };
}
