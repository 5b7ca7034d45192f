import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook delivery log: one row per attempt to deliver an event to an endpoint — when,
 * what came back (status, the first kilobyte of the answer, or the error), how long it took
 * and what it meant (`outcome`). Numbered per event and endpoint; an attempt retried after a
 * crashed worker overwrites its own row. Tenant-owned under row-level security; the
 * application role may read and write it, never delete (rows go with the tenant or the
 * endpoint).
 */
export class CreateWebhookDeliveries1763940000000 implements MigrationInterface {
  name = 'CreateWebhookDeliveries1763940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_id uuid NOT NULL REFERENCES event_outbox (event_id) ON DELETE CASCADE,
        event_type text NOT NULL,
        attempt integer NOT NULL CHECK (attempt > 0),
        outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'gone', 'refused')),
        status_code integer,
        duration_ms integer NOT NULL CHECK (duration_ms >= 0),
        response_excerpt text NOT NULL DEFAULT '',
        error text,
        url text NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id, attempt)
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, id DESC)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (endpoint_id, event_id) WHERE outcome = 'delivered'`,
    );
    await queryRunner.query(`ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY webhook_deliveries_tenant_isolation ON webhook_deliveries TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO atrium_app`);
    await queryRunner.query(`GRANT USAGE ON SEQUENCE webhook_deliveries_id_seq TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
  }
}
