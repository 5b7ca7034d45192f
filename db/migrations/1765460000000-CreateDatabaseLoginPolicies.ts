import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_POLICY = `
  USING (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )
  WITH CHECK (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )`;

/**
 * A tenant's database login rotation policy (issue 16, docs/decisions/0036): at most one row per
 * tenant, the interval a Temporal Schedule (`database-login-rotation/<slug>`) rotates its login
 * at. Set and removed by platform admins. Tenant-owned under row-level security.
 */
export class CreateDatabaseLoginPolicies1765460000000 implements MigrationInterface {
  name = 'CreateDatabaseLoginPolicies1765460000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_database_login_policies (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        every_seconds integer NOT NULL CHECK (every_seconds > 0),
        updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE tenant_database_login_policies ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY tenant_database_login_policies_tenant_isolation ON tenant_database_login_policies TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_database_login_policies TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_database_login_policies`);
  }
}
