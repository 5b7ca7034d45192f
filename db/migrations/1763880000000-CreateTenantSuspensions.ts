import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Suspending and reactivating tenants. A suspended tenant keeps its data but its API is
 * closed to members and API keys. Each suspension is numbered per tenant (the workflow IDs
 * `tenant-suspend/<slug>/<n>` and `tenant-reactivate/<slug>/<n>`) and records what it
 * applied — sessions revoked, workloads scaled to zero — so that reactivation reverses
 * exactly that. Tenant-owned under row-level security.
 */
export class CreateTenantSuspensions1763880000000 implements MigrationInterface {
  name = 'CreateTenantSuspensions1763880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await queryRunner.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('pending', 'active', 'failed', 'suspended'))`,
    );
    await queryRunner.query(`
      CREATE TABLE tenant_suspensions (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number > 0),
        reason text NOT NULL,
        requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        suspended_at timestamptz,
        sessions_revoked integer,
        workloads jsonb,
        workloads_skipped text,
        reactivation_requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
        reactivated_at timestamptz,
        PRIMARY KEY (tenant_id, number)
      )`);
    // At most one suspension in force per tenant.
    await queryRunner.query(
      `CREATE UNIQUE INDEX tenant_suspensions_open_idx ON tenant_suspensions (tenant_id) WHERE reactivated_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE tenant_suspensions ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY tenant_suspensions_tenant_isolation ON tenant_suspensions TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_suspensions TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_suspensions`);
    await queryRunner.query(`UPDATE tenants SET status = 'active' WHERE status = 'suspended'`);
    await queryRunner.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await queryRunner.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('pending', 'active', 'failed'))`,
    );
  }
}
