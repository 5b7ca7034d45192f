import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events (POST /api/v1/usage; docs/architecture.md, "Usage"). One row per event, kept as
 * received: the tenant's own id for it (`event_id`) is unique per tenant, so a batch sent again
 * stores nothing new. Append-only for the app role (no UPDATE or DELETE): the reconciliation
 * reads these rows, and what it reports must be what was received.
 */
export class CreateUsageEvents1765330000000 implements MigrationInterface {
  name = 'CreateUsageEvents1765330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        event_id text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 100),
        meter text NOT NULL,
        quantity numeric(24, 6) NOT NULL CHECK (quantity > 0),
        occurred_at timestamptz NOT NULL,
        attributes jsonb NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX usage_events_summary_idx ON usage_events (tenant_id, meter, occurred_at)`);
    await queryRunner.query(`ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY usage_events_tenant_isolation ON usage_events TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON usage_events TO atrium_app`);
    await queryRunner.query(`GRANT USAGE ON SEQUENCE usage_events_id_seq TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_events`);
  }
}
