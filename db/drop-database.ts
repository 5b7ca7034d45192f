// Drops a whole Atrium database together with the tenant roles provisioning made for it.
// Tenant roles (the owner and both logins, docs/decisions/0032) are cluster-wide, so dropping
// the database leaves them behind, and a later database on the same server could not
// provision a tenant of the same slug ("the role … exists but Atrium did not create it").
// The role functions mark each role with its database (the CreateTenantProvisioning and
// AddTenantOwnerRoles migrations); only roles so marked are dropped. Used by the test and
// benchmark teardowns, connected to another database of the server as a superuser.
import type pg from 'pg';

export async function dropDatabaseWithTenantRoles(server: pg.ClientBase, database: string): Promise<void> {
  if (!/^\w+$/.test(database)) throw new Error(`Refusing to drop a database named ${JSON.stringify(database)}.`);
  const roles = await server.query<{ rolname: string }>(
    // Owners last: a login role is a member of its owner.
    `SELECT r.rolname FROM pg_roles r
     WHERE shobj_description(r.oid, 'pg_authid') LIKE $1 AND r.rolname ~ '^tenant_.*_(login|login_b|owner)$'
     ORDER BY r.rolname ~ '_owner$'`,
    [`atrium tenant % in database ${database}`],
  );
  await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  for (const { rolname } of roles.rows) await server.query(`DROP ROLE IF EXISTS "${rolname}"`);
}
