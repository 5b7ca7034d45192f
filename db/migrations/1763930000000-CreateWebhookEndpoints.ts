import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints: a tenant's addresses that receive its events (contracts/events.ts).
 * The signing secret lives in the secret store (`secret_path`, the version in use, and
 * during a rotation's grace period the previous version and when it stops being valid);
 * never in this table. Status: `enabled`; `paused` (delivery kept failing: events queue
 * until a member re-enables it); `disabled` (by a member, or a 410 Gone: nothing is queued).
 * Tenant-owned under row-level security.
 */
export class CreateWebhookEndpoints1763930000000 implements MigrationInterface {
  name = 'CreateWebhookEndpoints1763930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        url text NOT NULL,
        description text NOT NULL DEFAULT '',
        event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'paused', 'disabled')),
        disabled_reason text,
        secret_path text NOT NULL,
        secret_version integer NOT NULL CHECK (secret_version > 0),
        previous_secret_version integer,
        previous_secret_expires_at timestamptz,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((previous_secret_version IS NULL) = (previous_secret_expires_at IS NULL)),
        CHECK ((status = 'enabled') = (disabled_reason IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at)`);
    await queryRunner.query(`ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY webhook_endpoints_tenant_isolation ON webhook_endpoints TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_endpoints`);
  }
}
