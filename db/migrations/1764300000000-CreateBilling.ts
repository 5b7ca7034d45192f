import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The billing family's tables.
 *
 * `stripe_events`, the inbox of Stripe's webhook events: one row per event id (so a
 * redelivery is stored once), the payload as Stripe signed it, the tenant it belongs to (found
 * by the customer id provisioning recorded; null when no tenant has that customer), and when
 * it was handed to the tenant's billing workflow and what became of it. An event arrives before
 * anyone knows its tenant, so the route writes it in platform scope; row-level security lets a
 * tenant's transaction see only its own rows, and a transaction that names nobody none.
 *
 * `tenant_billing`: a tenant's standing as the billing workflow left it (dunning since when,
 * which invoices, when the grace period ends, the billing suspension, the subscription's
 * status), for the portal and operators. Tenant-owned under row-level security.
 */
export class CreateBilling1764300000000 implements MigrationInterface {
  name = 'CreateBilling1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stripe_events (
        event_id text PRIMARY KEY,
        type text NOT NULL,
        stripe_created_at timestamptz NOT NULL,
        livemode boolean NOT NULL,
        customer_id text,
        tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        handed_over_at timestamptz,
        workflow_id text,
        handled_at timestamptz,
        outcome text
      )`);
    await queryRunner.query(`CREATE INDEX stripe_events_tenant_idx ON stripe_events (tenant_id, received_at)`);
    await queryRunner.query(
      `CREATE INDEX stripe_events_not_handed_over_idx ON stripe_events (received_at) WHERE handed_over_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE tenant_billing (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        standing text NOT NULL DEFAULT 'in-good-standing'
          CHECK (standing IN ('in-good-standing', 'dunning', 'suspended')),
        dunning_started_by text,
        dunning_invoice_ids text[] NOT NULL DEFAULT '{}',
        dunning_since timestamptz,
        grace_ends_at timestamptz,
        dunning_mailed_at timestamptz,
        dunning_recipients text[] NOT NULL DEFAULT '{}',
        suspension_number integer,
        suspension_skipped text,
        subscription_id text,
        subscription_status text,
        subscription_event_id text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const table of ['stripe_events', 'tenant_billing']) {
      await queryRunner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`
        CREATE POLICY ${table}_tenant_isolation ON ${table} TO atrium_app
        USING (
          current_setting('atrium.scope', true) = 'platform'
          OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
        )
        WITH CHECK (
          current_setting('atrium.scope', true) = 'platform'
          OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
        )`);
      await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON ${table} TO atrium_app`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_billing`);
    await queryRunner.query(`DROP TABLE stripe_events`);
  }
}
