// Signups waiting for their mailed link (verify-email-first). One row per mailed link; only
// the token's SHA-256 and the password's argon2id hash are stored. See the migration
// 1763930500000-CreatePendingSignups for the shape and why an address with an account gets
// rows too.
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { hashAccountToken } from './account-tokens.ts';

type Db = DataSource | EntityManager;

/** How long a row stays after it expired, so a late click hears "expired", not "unknown". */
const KEEP_AFTER_EXPIRY = `interval '7 days'`;

export interface PendingSignupData {
  email: string;
  displayName: string;
  organizationName: string;
  organizationSlug: string;
  plan: string;
}

export interface PendingSignupRow {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  organization_name: string;
  organization_slug: string;
  plan: string;
  existing_user_id: string | null;
  created_at: Date;
  expires_at: Date;
  completed_at: Date | null;
}

/**
 * Records a signup for an address without an account and returns the token to mail
 * (256 random bits; only its hash is stored).
 */
export async function insertPendingSignup(
  db: Db,
  input: PendingSignupData & { passwordHash: string; ttlMs: number },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO pending_signups
       (email, display_name, password_hash, organization_name, organization_slug, plan, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8 * interval '1 millisecond')`,
    [
      input.email,
      input.displayName,
      input.passwordHash,
      input.organizationName,
      input.organizationSlug,
      input.plan,
      hashAccountToken(token),
      input.ttlMs,
    ],
  );
  return token;
}

/**
 * Records a signup attempt on an address that has an account: no token and no password, only
 * so that it counts toward the address's mail limit (and the database does the same work
 * either way).
 */
export async function insertSignupAttemptOnAccount(
  db: Db,
  input: PendingSignupData & { existingUserId: string; ttlMs: number },
): Promise<void> {
  await db.query(
    `INSERT INTO pending_signups
       (email, display_name, organization_name, organization_slug, plan, existing_user_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond')`,
    [
      input.email,
      input.displayName,
      input.organizationName,
      input.organizationSlug,
      input.plan,
      input.existingUserId,
      input.ttlMs,
    ],
  );
}

/** Mails (rows) for the address within the window: the per-address mail limit. */
export async function countRecentSignupMails(db: Db, email: string, windowMs: number): Promise<number> {
  const [row] = await db.query<Array<{ count: number }>>(
    `SELECT count(*)::int AS count FROM pending_signups
     WHERE lower(email) = lower($1) AND created_at > now() - $2 * interval '1 millisecond'`,
    [email, windowMs],
  );
  return row?.count ?? 0;
}

/** The address's newest signup that still waits for its link (for "send it again"). */
export async function findOpenPendingSignup(db: Db, email: string): Promise<PendingSignupRow | null> {
  const rows = await db.query<PendingSignupRow[]>(
    `SELECT * FROM pending_signups
     WHERE lower(email) = lower($1) AND token_hash IS NOT NULL AND completed_at IS NULL AND expires_at > now()
     ORDER BY created_at DESC LIMIT 1`,
    [email],
  );
  return rows[0] ?? null;
}

export type PendingSignupUse =
  | { ok: true; signup: PendingSignupRow & { password_hash: string } }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/**
 * Finds the signup of a mailed token and locks its row (two clicks at once cannot both
 * complete it). The caller completes it with completePendingSignups in the same transaction.
 */
export async function lockPendingSignup(db: EntityManager, token: string): Promise<PendingSignupUse> {
  const [row] = await db.query<Array<PendingSignupRow & { expired: boolean }>>(
    `SELECT *, expires_at <= now() AS expired FROM pending_signups WHERE token_hash = $1 FOR UPDATE`,
    [hashAccountToken(token)],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.completed_at) return { ok: false, reason: 'used' };
  if (row.expired || row.password_hash === null) return { ok: false, reason: 'expired' };
  const { expired: _, ...signup } = row;
  return { ok: true, signup: { ...signup, password_hash: row.password_hash } };
}

/**
 * The account exists now: every open signup of the address is done (their links then say
 * "used"), and no password hash is kept any longer.
 */
export async function completePendingSignups(db: EntityManager, email: string, userId: string): Promise<void> {
  await db.query(
    `UPDATE pending_signups SET completed_at = now(), user_id = $2, password_hash = NULL
     WHERE lower(email) = lower($1) AND completed_at IS NULL`,
    [email, userId],
  );
}

/** Deletes rows a week past their expiry. Returns how many went. */
export async function deleteExpiredPendingSignups(db: Db): Promise<number> {
  const rows = await db.query<unknown[]>(
    `WITH d AS (DELETE FROM pending_signups WHERE expires_at < now() - ${KEEP_AFTER_EXPIRY} RETURNING 1)
     SELECT 1 FROM d`,
  );
  return rows.length;
}
