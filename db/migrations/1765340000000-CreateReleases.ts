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
 * Releases (issue 14, docs/decisions/0023): what a tenant promotes through its environments. One
 * row per release, numbered per tenant (1, 2, …), naming an image by digest (`name@sha256:…`,
 * checked here and at the API: a tag could move under a promotion), the version of the
 * configuration it was built against and notes. Immutable: the application role may only
 * INSERT and SELECT, so a promoted release is the release that was approved. Tenant-owned
 * under row-level security.
 */
export class CreateReleases1765340000000 implements MigrationInterface {
  name = 'CreateReleases1765340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE releases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number > 0),
        image text NOT NULL CHECK (image ~ '^[^@[:space:]]+@sha256:[a-f0-9]{64}$' AND length(image) <= 512),
        configuration_version text CHECK (length(configuration_version) <= 100),
        notes text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, number)
      )`);
    await queryRunner.query(`ALTER TABLE releases ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY releases_tenant_isolation ON releases TO atrium_app ${TENANT_POLICY}`);
    await queryRunner.query(`GRANT SELECT, INSERT ON releases TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE releases`);
  }
}
