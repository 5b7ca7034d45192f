import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mails to a tenant's owners about one of its webhook endpoints: `paused` (delivery kept
 * failing) and `disabled` (paused and not re-enabled in time). One row per endpoint, notice and
 * failing round (the head event and when its failure began, both chosen by the sequencer
 * workflow), written after the mails went out: a retried activity that finds its row sends
 * nothing again. Tenant-owned under row-level security; the application role may read and
 * add rows, never change or delete them (they go with the endpoint or the tenant).
 */
export class CreateWebhookEndpointNotices1764100000000 implements MigrationInterface {
  name = 'CreateWebhookEndpointNotices1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_endpoint_notices (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        notice text NOT NULL CHECK (notice IN ('paused', 'disabled')),
        event_id uuid NOT NULL,
        failing_since timestamptz NOT NULL,
        recipients text[] NOT NULL,
        refused text[] NOT NULL DEFAULT '{}',
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (endpoint_id, notice, event_id, failing_since)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoint_notices_tenant_idx ON webhook_endpoint_notices (tenant_id)`);
    await queryRunner.query(`ALTER TABLE webhook_endpoint_notices ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY webhook_endpoint_notices_tenant_isolation ON webhook_endpoint_notices TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON webhook_endpoint_notices TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_endpoint_notices`);
  }
}
