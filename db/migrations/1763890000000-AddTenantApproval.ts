import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Platform-admin approval of tenants on plans that need it (enterprise by default): while
 * provisionTenant waits for the decision the tenant is `pending` with approval `pending`;
 * the decision (who, when, why) stays on the row. Null: no approval was needed.
 */
export class AddTenantApproval1763890000000 implements MigrationInterface {
  name = 'AddTenantApproval1763890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenants
        ADD COLUMN approval_status text CHECK (approval_status IN ('pending', 'approved', 'rejected')),
        ADD COLUMN approval_decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
        ADD COLUMN approval_decided_at timestamptz,
        ADD COLUMN approval_reason text`);
    await queryRunner.query(
      `CREATE INDEX tenants_approval_pending_idx ON tenants (created_at) WHERE approval_status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenants DROP COLUMN approval_status, DROP COLUMN approval_decided_by,
        DROP COLUMN approval_decided_at, DROP COLUMN approval_reason`);
  }
}
