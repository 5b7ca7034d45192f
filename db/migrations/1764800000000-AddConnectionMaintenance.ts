import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * maintainConnection's columns: a connection whose grant the provider no longer accepts is
 * `needs_reauth` (it keeps counting against the plan's limit: reconnecting it reuses its place);
 * when its tokens were last refreshed; when its owners and admins were mailed about it (once).
 */
export class AddConnectionMaintenance1764800000000 implements MigrationInterface {
  name = 'AddConnectionMaintenance1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE connector_connections DROP CONSTRAINT connector_connections_status_check`);
    await queryRunner.query(`
      ALTER TABLE connector_connections ADD CONSTRAINT connector_connections_status_check
        CHECK (status IN ('pending', 'active', 'needs_reauth', 'failed', 'expired', 'disconnecting', 'disconnected'))`);
    await queryRunner.query(`
      ALTER TABLE connector_connections
        ADD COLUMN tokens_refreshed_at timestamptz,
        ADD COLUMN reauth_mailed_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE connector_connections DROP COLUMN tokens_refreshed_at, DROP COLUMN reauth_mailed_at`);
    await queryRunner.query(`UPDATE connector_connections SET status = 'failed' WHERE status = 'needs_reauth'`);
    await queryRunner.query(`ALTER TABLE connector_connections DROP CONSTRAINT connector_connections_status_check`);
    await queryRunner.query(`
      ALTER TABLE connector_connections ADD CONSTRAINT connector_connections_status_check
        CHECK (status IN ('pending', 'active', 'failed', 'expired', 'disconnecting', 'disconnected'))`);
  }
}
