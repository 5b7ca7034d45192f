// Migration 1765420000000 (AddTenantOwnerRoles, docs/decisions/0032) on a real database: a
// tenant provisioned before it (one login role owning its objects) gets an owner role that
// owns them now and a second login; both logins act with the owner's privileges; the role
// functions set a password on, disable and drop only the tenant's own roles. Run by taking the
// migration down and up again on a migrated test database.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { AddTenantOwnerRoles1765420000000 } from '../../db/migrations/1765420000000-AddTenantOwnerRoles.ts';
import { generatePassword, scramSha256Verifier } from '../../activities/tenant-provisioning/scram.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

describe('migration AddTenantOwnerRoles', () => {
  let database: TestDatabase;
  let owner: DataSource;
  before(async () => {
    database = await createTestDatabase();
    owner = createDataSource({ url: database.ownerUrl, applicationName: 'atrium-test-migration', poolSize: 1 });
    await owner.initialize();
  });
  after(async () => {
    await owner?.destroy();
    await database?.drop();
  });

  const roles = (schema: string) =>
    database.query<{ rolname: string; rolcanlogin: boolean; member_of: string[] | null; config: string[] | null }>(
      `SELECT r.rolname, r.rolcanlogin,
              (SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid) AS member_of,
              (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())) AS config
       FROM pg_roles r WHERE r.rolname LIKE $1 ORDER BY r.rolname`,
      [`${schema}\\_%`],
    );

  it('moves an existing tenant onto an owner role and two logins; the functions act on its roles only', async () => {
    const migration = new AddTenantOwnerRoles1765420000000();
    const runner = owner.createQueryRunner();
    const tenantId = randomUUID();
    const slug = `mig-${tenantId.slice(0, 8)}`;
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    try {
      await migration.down(runner);
      // A tenant as provisioning made it before: its login owns what it created.
      await runner.query(
        `INSERT INTO tenants (id, slug, name, plan, status, owner_email, schema_name) VALUES ($1, $2, 'Mig Co', 'team', 'active', 'o@mig.test', $3)`,
        [tenantId, slug, schema],
      );
      await runner.query(`CREATE SCHEMA ${schema}`);
      await runner.query(`SELECT atrium_ensure_tenant_login($1, $2, false)`, [
        tenantId,
        scramSha256Verifier(generatePassword()),
      ]);
      await runner.query(`SET ROLE ${schema}_login; CREATE TABLE ${schema}.notes (id int); RESET ROLE`);

      await migration.up(runner);

      const [notes] = await database.query<{ tableowner: string }>(
        `SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'notes'`,
        [schema],
      );
      assert.equal(notes?.tableowner, `${schema}_owner`, 'what the login owned belongs to the owner role now');
      const after = await roles(schema);
      assert.deepEqual(
        after.map((r) => [r.rolname, r.rolcanlogin, r.member_of?.filter((g) => g.startsWith(schema)) ?? []]),
        [
          [`${schema}_login`, true, [`${schema}_owner`]],
          [`${schema}_login_b`, false, [`${schema}_owner`]],
          [`${schema}_owner`, false, []],
        ],
      );
      for (const login of after.filter((r) => r.rolname !== `${schema}_owner`))
        assert.deepEqual(login.config, [`search_path=${schema}`]);

      // Login B gets a password (a verifier only) and can log in as the owner; then it is disabled.
      const password = generatePassword();
      await assert.rejects(
        runner.query(`SELECT atrium_set_tenant_login_password($1, $2, $3)`, [tenantId, `${schema}_login_b`, password]),
        /SCRAM-SHA-256 verifier/,
      );
      await assert.rejects(
        runner.query(`SELECT atrium_set_tenant_login_password($1, $2, $3)`, [
          tenantId,
          'postgres',
          scramSha256Verifier(password),
        ]),
        /not a login role of tenant/,
      );
      await runner.query(`SELECT atrium_set_tenant_login_password($1, $2, $3)`, [
        tenantId,
        `${schema}_login_b`,
        scramSha256Verifier(password),
      ]);
      const url = new URL(database.url);
      url.username = `${schema}_login_b`;
      url.password = password;
      const asB = new pg.Client({ connectionString: url.toString() });
      await asB.connect();
      try {
        // It uses (and may alter) the owner's objects; what it creates is the owner's to use too.
        const { rows } = await asB.query(`SELECT current_user AS name, count(*)::int AS notes FROM notes`);
        assert.deepEqual(rows, [{ name: `${schema}_login_b`, notes: 0 }]);
        await asB.query(`ALTER TABLE notes ADD COLUMN body text`);
        await asB.query(`CREATE TABLE drafts (id int)`);
      } finally {
        await asB.end();
      }
      const asAUrl = new URL(url);
      asAUrl.username = `${schema}_login`;
      const asA = new pg.Client({ connectionString: asAUrl.toString() });
      await asA.connect();
      try {
        await asA.query(`INSERT INTO drafts VALUES (1)`);
      } finally {
        await asA.end();
      }
      const [disabled] = await runner.query(`SELECT atrium_disable_tenant_login($1, $2) AS was`, [
        tenantId,
        `${schema}_login_b`,
      ]);
      assert.equal(disabled.was, true);
      const [b] = await database.query<{ rolcanlogin: boolean; rolpassword: string | null }>(
        `SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1`,
        [`${schema}_login_b`],
      );
      assert.deepEqual(b, { rolcanlogin: false, rolpassword: null });
      const [drafts] = await database.query<{ tableowner: string }>(
        `SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'drafts'`,
        [schema],
      );
      assert.equal(drafts?.tableowner, `${schema}_owner`, 'what the disabled login made is the owner’s now');

      // Offboarding's drop, given login A, drops all three roles and what they own.
      const [dropped] = await runner.query(`SELECT atrium_drop_tenant_login($1, $2) AS dropped`, [
        tenantId,
        `${schema}_login`,
      ]);
      assert.equal(dropped.dropped, true);
      assert.deepEqual(await roles(schema), []);
    } finally {
      await runner.release();
    }
  });
});
