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
 * A tenant's default rotation policy per secret kind (issue 16, docs/decisions/0039): a secret
 * without a policy of its own is rotated at its kind's interval. At most one row per tenant and
 * kind; no row: no default. Tenant-owned under row-level security.
 */
export class CreateSecretKindRotationPolicies1765500000000 implements MigrationInterface {
  name = 'CreateSecretKindRotationPolicies1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE secret_kind_rotation_policies (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        kind text NOT NULL,
        every_seconds integer NOT NULL CHECK (every_seconds > 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, kind)
      )`);
    await queryRunner.query(`ALTER TABLE secret_kind_rotation_policies ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY secret_kind_rotation_policies_tenant_isolation ON secret_kind_rotation_policies TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON secret_kind_rotation_policies TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE secret_kind_rotation_policies`);
  }
}
