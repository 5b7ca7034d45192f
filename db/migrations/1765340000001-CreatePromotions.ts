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
 * Promotions (issue 14, docs/decisions/0023): one row per request to run a release in one of the
 * tenant's environments, numbered per tenant and environment (the workflow
 * `promotion/<slug>/<environment>/<number>` runs it). `status` follows the workflow:
 *
 *   requested → awaiting-approval → deploying → succeeded | rolled-back | failed
 *   requested | awaiting-approval → rejected | failed
 *
 * `previous_release` is the release that ran there before (the last succeeded promotion), the one
 * a failed rollout is rolled back to. At most one open promotion per environment (partial unique
 * index). Tenant-owned under row-level security; the application role may not DELETE.
 */
export class CreatePromotions1765340000001 implements MigrationInterface {
  name = 'CreatePromotions1765340000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE promotions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        environment text NOT NULL,
        number integer NOT NULL CHECK (number > 0),
        release_number integer NOT NULL,
        previous_release integer,
        status text NOT NULL DEFAULT 'requested' CHECK (status IN
          ('requested', 'awaiting-approval', 'deploying', 'succeeded', 'rolled-back', 'failed', 'rejected')),
        detail text,
        operation_id text NOT NULL,
        requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        UNIQUE (tenant_id, environment, number),
        FOREIGN KEY (tenant_id, release_number) REFERENCES releases (tenant_id, number)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX promotions_one_open_idx ON promotions (tenant_id, environment)
       WHERE status IN ('requested', 'awaiting-approval', 'deploying')`,
    );
    await queryRunner.query(`ALTER TABLE promotions ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY promotions_tenant_isolation ON promotions TO atrium_app ${TENANT_POLICY}`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON promotions TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE promotions`);
  }
}
