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
 * Plan changes (issue 17): one row per requested change of a tenant's plan, numbered per tenant
 * (change n runs as the workflow `tenant-plan/<slug>/<n>`). The API inserts the row before it
 * starts the workflow; the workflow moves it through its statuses:
 *
 *   requested → scheduled (a downgrade waiting for the billing period's end) → applied
 *             ↘ refused (the tenant exceeds the target's limits) | cancelled | failed
 *
 * At most one change per tenant is open (requested or scheduled): a partial unique index, so
 * two requests at the same moment cannot both start one. Tenant-owned, under row-level security.
 */
export class CreatePlanChanges1765200000000 implements MigrationInterface {
  name = 'CreatePlanChanges1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE plan_changes (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number > 0),
        from_plan text NOT NULL,
        to_plan text NOT NULL CHECK (to_plan <> from_plan),
        direction text NOT NULL CHECK (direction IN ('upgrade', 'downgrade')),
        timing text NOT NULL CHECK (timing IN ('now', 'period-end')),
        status text NOT NULL DEFAULT 'requested'
          CHECK (status IN ('requested', 'scheduled', 'applied', 'refused', 'cancelled', 'failed')),
        effective_at timestamptz,
        detail text,
        license_id uuid,
        requested_by jsonb NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, number)
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX plan_changes_one_open_idx ON plan_changes (tenant_id)
       WHERE status IN ('requested', 'scheduled')`,
    );
    await queryRunner.query(`ALTER TABLE plan_changes ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY plan_changes_tenant_isolation ON plan_changes TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON plan_changes TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE plan_changes`);
  }
}
