import type { DataSource } from 'typeorm';
import { createUserIfAbsent } from './repositories/users.ts';

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
  return (await createUserIfAbsent(dataSource, { ...admin, isPlatformAdmin: true })) !== null;
}
