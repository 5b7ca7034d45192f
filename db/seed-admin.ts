import { hash } from '@node-rs/argon2';
import type { DataSource } from 'typeorm';

export interface AdminSeed {
  email: string;
  displayName: string;
  password: string;
}

/**
 * Creates the platform admin unless an account with this email exists. Safe to run at
 * every start: an existing admin keeps the password it has.
 * Returns true when the account was created now.
 */
export async function seedPlatformAdmin(dataSource: DataSource, admin: AdminSeed): Promise<boolean> {
  const passwordHash = await hash(admin.password); // argon2id with the library's defaults
  const rows: unknown[] = await dataSource.query(
    `INSERT INTO users (email, display_name, password_hash, is_platform_admin)
     VALUES ($1, $2, $3, true)
     ON CONFLICT ((lower(email))) DO NOTHING
     RETURNING id`,
    [admin.email, admin.displayName, passwordHash],
  );
  return rows.length > 0;
}
