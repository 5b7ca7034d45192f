// The login role the API and worker connect as: a member of atrium_app (created by the
// migrations), never a superuser, never able to bypass row-level security.
import type { DataSource } from 'typeorm';
import { quoteIdentifier } from './identifiers.ts';

/**
 * Creates `role` as a LOGIN member of atrium_app unless it exists (roles are
 * cluster-wide), and sets its password when one is given. Run with an owner connection.
 */
export async function ensureRuntimeLogin(owner: DataSource, role: string, password?: string): Promise<void> {
  const name = quoteIdentifier(role);
  await owner.query(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN
        CREATE ROLE ${name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    EXCEPTION WHEN duplicate_object THEN
      NULL;
    END $$`);
  await owner.query(`GRANT atrium_app TO ${name}`);
  if (password !== undefined) await owner.query(`ALTER ROLE ${name} PASSWORD ${quoteLiteral(password)}`);
}

/**
 * Refuses to run as a role that row-level security does not apply to: tenant isolation
 * would silently be off.
 */
export async function assertRuntimeRole(dataSource: DataSource): Promise<void> {
  const [role] = await dataSource.query<
    Array<{ name: string; superuser: boolean; bypassrls: boolean; member: boolean }>
  >(
    `SELECT current_user AS name, rolsuper AS superuser, rolbypassrls AS bypassrls,
            pg_has_role(current_user, 'atrium_app', 'MEMBER') AS member
     FROM pg_roles WHERE rolname = current_user`,
  );
  if (!role) throw new Error('Could not read the database role of DATABASE_URL.');
  const problems = [
    role.superuser && 'is a superuser',
    role.bypassrls && 'has BYPASSRLS',
    !role.member && 'is not a member of atrium_app',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(
      `DATABASE_URL connects as "${role.name}", which ${problems.join(' and ')}: row-level security would not isolate tenants. ` +
        'Connect as a login role that is a member of atrium_app (see README, "Database roles"); run migrations with DATABASE_MIGRATION_URL.',
    );
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
