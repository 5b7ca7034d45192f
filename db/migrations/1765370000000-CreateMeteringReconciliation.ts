import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metering reconciliation (reconcileMetering; docs/decisions/0027):
 *
 * - `metering_windows`: one row per tenant, meter and closed hour that had usage: the usage
 *   counted when last aggregated, what Stripe should count (`expected`: every value sent, net
 *   of cancellations), what Stripe counted when last read back, and a flag when a person must
 *   look (too old to report or correct, no billing customer, a meter Stripe does not know).
 * - `metering_reports`: every meter event and cancellation Atrium sends, one row each, keyed
 *   by (tenant, meter, window, revision) with its Stripe identifier derived from those. The
 *   row is committed `pending` before the call and marked `reported` after it: this record,
 *   not Stripe's short deduplication, is what guarantees nothing is sent twice.
 * - `metering_reconciliations`: the signed record per tenant and period (UTC day) tenants
 *   download and verify (a compact JWS by the license signing key).
 * - `local_billing_meter_events`: the local billing adapter's ledger of meter events.
 *
 * All tenant-owned, under row-level security; the app role never deletes from them.
 */
export class CreateMeteringReconciliation1765370000000 implements MigrationInterface {
  name = 'CreateMeteringReconciliation1765370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE metering_windows (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        meter text NOT NULL,
        window_start timestamptz NOT NULL,
        usage_total numeric(24, 6) NOT NULL DEFAULT 0,
        usage_events integer NOT NULL DEFAULT 0,
        expected numeric(24, 6) NOT NULL DEFAULT 0,
        revisions integer NOT NULL DEFAULT 0,
        stripe_count numeric(24, 6),
        checked_at timestamptz,
        last_sent_at timestamptz,
        status text NOT NULL DEFAULT 'open'
          CHECK (status IN ('open', 'reported', 'matched', 'flagged')),
        flag text CHECK (flag IN ('too_old', 'overcounted', 'refused', 'no_customer', 'meter_not_configured')),
        unbilled numeric(24, 6) NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, meter, window_start)
      )`);
    await queryRunner.query(`
      CREATE TABLE metering_reports (
        tenant_id uuid NOT NULL,
        meter text NOT NULL,
        window_start timestamptz NOT NULL,
        revision integer NOT NULL CHECK (revision > 0),
        identifier text NOT NULL UNIQUE CHECK (length(identifier) <= 100),
        kind text NOT NULL CHECK (kind IN ('report', 'late', 'correction', 'replacement', 'cancel')),
        value numeric(24, 6) NOT NULL,
        cancels text,
        status text NOT NULL CHECK (status IN ('pending', 'reported', 'unconfirmed', 'refused')),
        run_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        reported_at timestamptz,
        cancelled_at timestamptz,
        PRIMARY KEY (tenant_id, meter, window_start, revision),
        FOREIGN KEY (tenant_id, meter, window_start) REFERENCES metering_windows ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX metering_reports_pending_idx ON metering_reports (tenant_id) WHERE status = 'pending'`,
    );
    await queryRunner.query(`
      CREATE TABLE metering_reconciliations (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        period date NOT NULL,
        revision integer NOT NULL,
        record jsonb NOT NULL,
        jws text NOT NULL,
        key_id text NOT NULL,
        signed_at timestamptz NOT NULL,
        run_id text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, period)
      )`);
    await queryRunner.query(`
      CREATE TABLE local_billing_meter_events (
        identifier text PRIMARY KEY,
        tenant_id uuid NOT NULL,
        customer_id text NOT NULL,
        meter text NOT NULL,
        value numeric(24, 6) NOT NULL,
        occurred_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX local_billing_meter_events_summary_idx ON local_billing_meter_events (tenant_id, customer_id, meter, occurred_at)`,
    );
    for (const table of [
      'metering_windows',
      'metering_reports',
      'metering_reconciliations',
      'local_billing_meter_events',
    ]) {
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
    await queryRunner.query(`DROP TABLE local_billing_meter_events`);
    await queryRunner.query(`DROP TABLE metering_reconciliations`);
    await queryRunner.query(`DROP TABLE metering_reports`);
    await queryRunner.query(`DROP TABLE metering_windows`);
  }
}
