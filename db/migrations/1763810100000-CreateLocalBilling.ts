import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The local billing adapter (integrations/billing/local.ts), used when no Stripe key is
 * configured: customers and subscriptions without payments, so provisioning runs the same
 * steps on the embedded defaults. Tenant-owned, under row-level security like every table
 * with a tenant_id. Idempotency keys are unique, so a retried call finds its first result.
 */
export class CreateLocalBilling1763810100000 implements MigrationInterface {
  name = 'CreateLocalBilling1763810100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE local_billing_customers (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        idempotency_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE local_billing_subscriptions (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        customer_id text NOT NULL REFERENCES local_billing_customers (id),
        plan text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'canceled')),
        idempotency_key text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        canceled_at timestamptz
      )`);
    for (const table of ['local_billing_customers', 'local_billing_subscriptions']) {
      await queryRunner.query(`CREATE INDEX ${table}_tenant_idx ON ${table} (tenant_id)`);
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
      // Rows are marked deleted or canceled, never removed: they are the billing record.
      await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON ${table} TO atrium_app`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE local_billing_subscriptions`);
    await queryRunner.query(`DROP TABLE local_billing_customers`);
  }
}
