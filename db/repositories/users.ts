// Queries on users: accounts, and the counters behind login lockout.
import { hash } from '@node-rs/argon2';
import type { DataSource, EntityManager } from 'typeorm';

type Db = DataSource | EntityManager;

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  /** Null for people who arrived through SSO and never set a password. */
  password_hash: string | null;
  is_platform_admin: boolean;
  /** Access to the Temporal UI behind Atrium (/ops/temporal/); null: none. */
  operator_role: 'read' | 'write' | null;
  failed_logins: number;
  locked_until: Date | null;
  email_verified_at: Date | null;
}

export interface NewUser {
  email: string;
  displayName: string;
  password: string;
  isPlatformAdmin?: boolean;
  /** Access to the Temporal UI behind Atrium; none when absent. */
  operatorRole?: 'read' | 'write' | null;
}

/** The argon2id hash (the library's defaults) stored for a password. */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** Creates the user unless the email is taken (case-insensitively); returns the id when created. */
export async function createUserIfAbsent(db: Db, user: NewUser): Promise<string | null> {
  const passwordHash = await hashPassword(user.password);
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO users (email, display_name, password_hash, is_platform_admin, operator_role)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING id`,
    [user.email, user.displayName, passwordHash, user.isPlatformAdmin ?? false, user.operatorRole ?? null],
  );
  return rows[0]?.id ?? null;
}

/**
 * Creates the account of a completed signup: the password hashed when the signup was asked
 * for, the address verified (the mailed link proved it). Null when the address is taken.
 */
export async function createSignedUpUserIfAbsent(
  db: Db,
  user: { email: string; displayName: string; passwordHash: string },
): Promise<string | null> {
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO users (email, display_name, password_hash, email_verified_at)
     VALUES ($1, $2, $3, now())
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING id`,
    [user.email, user.displayName, user.passwordHash],
  );
  return rows[0]?.id ?? null;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow[]>(`SELECT * FROM users WHERE lower(email) = lower($1)`, [email]);
  return rows[0] ?? null;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | null> {
  const rows = await db.query<UserRow[]>(`SELECT * FROM users WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/**
 * Counts a failed login; once `threshold` failures in a row are reached the account is
 * locked for `lockMs`. Returns the lock's end when this failure locked it.
 */
export async function recordFailedLogin(db: Db, id: string, threshold: number, lockMs: number): Promise<Date | null> {
  // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
  const [row] = await db.query<Array<{ locked_until: Date | null }>>(
    `WITH counted AS (
       UPDATE users SET
         failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + $3 * interval '1 millisecond' ELSE locked_until END
       WHERE id = $1
       RETURNING failed_logins, locked_until
     )
     SELECT CASE WHEN failed_logins >= $2 THEN locked_until END AS locked_until FROM counted`,
    [id, threshold, lockMs],
  );
  return row?.locked_until ?? null;
}

export async function recordSuccessfulLogin(db: Db, id: string): Promise<void> {
  await db.query(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [id]);
}

export async function markEmailVerified(db: Db, id: string, email: string): Promise<void> {
  await db.query(`UPDATE users SET email = $2, email_verified_at = now() WHERE id = $1`, [id, email]);
}

/** Sets a new password (argon2id) and clears the lockout: the owner of the mailbox proved who they are. */
export async function setPassword(db: Db, id: string, password: string): Promise<void> {
  await db.query(`UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`, [
    id,
    await hash(password),
  ]);
}

export async function setDisplayName(db: Db, id: string, displayName: string): Promise<void> {
  await db.query(`UPDATE users SET display_name = $2 WHERE id = $1`, [id, displayName]);
}

/**
 * Creates an account for someone a tenant's identity provider vouched for (just-in-time
 * provisioning): no password, the address verified by the provider. Returns the id, or
 * null when the address is taken (then the caller links the existing account).
 */
export async function createSsoUserIfAbsent(
  db: Db,
  user: { email: string; displayName: string },
): Promise<string | null> {
  const rows = await db.query<Array<{ id: string }>>(
    `INSERT INTO users (email, display_name, password_hash, email_verified_at)
     VALUES ($1, $2, NULL, now())
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING id`,
    [user.email, user.displayName],
  );
  return rows[0]?.id ?? null;
}

/** Grants, changes or takes away (null) a user's operator role; returns the role before, or undefined for no such user. */
export async function setOperatorRole(
  db: Db,
  id: string,
  role: 'read' | 'write' | null,
): Promise<{ before: 'read' | 'write' | null } | undefined> {
  // The row is locked, so the role before is the one this change replaced.
  const [row] = await db.query<Array<{ operator_role: 'read' | 'write' | null }>>(
    `SELECT operator_role FROM users WHERE id = $1 FOR UPDATE`,
    [id],
  );
  if (!row) return undefined;
  await db.query(`UPDATE users SET operator_role = $2 WHERE id = $1`, [id, role]);
  return { before: row.operator_role };
}
