import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage retention (USAGE_RETENTION; docs/architecture.md, "Usage"). usage_events stays
 * append-only for the app role (no DELETE grant): the only way to delete is
 * `atrium_prune_usage_events`, SECURITY DEFINER like `atrium_take_rate_lease`, which deletes a
 * tenant's events that occurred before `p_before` **and** whose window (tenant, meter, UTC hour)
 * the metering reconciliation settled — read back and matched, or flagged for a person
 * (metering_windows.status). An event of a window never reconciled is kept, however old. It
 * refuses a `p_before` younger than 50 days: the reconciliation reads windows back for 35 days
 * (Stripe's correction window) and 14 more, and must find their events. At most `p_limit` rows
 * per call (the sweep calls again), and rows another sweep holds are skipped.
 */
export class PruneReconciledUsageEvents1765380000000 implements MigrationInterface {
  name = 'PruneReconciledUsageEvents1765380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION atrium_prune_usage_events(p_tenant uuid, p_before timestamptz, p_limit integer)
      RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        v_deleted integer;
      BEGIN
        IF p_before > now() - interval '50 days' THEN
          RAISE EXCEPTION 'usage events are kept at least 50 days (the reconciliation reads them back): %', p_before
            USING ERRCODE = 'check_violation';
        END IF;
        IF coalesce(current_setting('atrium.scope', true), '') <> 'platform'
           AND p_tenant IS DISTINCT FROM nullif(current_setting('atrium.tenant_id', true), '')::uuid THEN
          RAISE EXCEPTION 'usage events of another tenant' USING ERRCODE = 'insufficient_privilege';
        END IF;
        WITH doomed AS (
          SELECT u.id FROM usage_events u
          -- The meters as an array, so the (tenant_id, meter, occurred_at) index takes all three.
          WHERE u.tenant_id = p_tenant
            AND u.meter = ANY (ARRAY(SELECT DISTINCT w.meter FROM metering_windows w WHERE w.tenant_id = p_tenant))
            AND u.occurred_at < p_before
            AND EXISTS (
              SELECT 1 FROM metering_windows w
              WHERE w.tenant_id = u.tenant_id AND w.meter = u.meter
                AND w.window_start = date_trunc('hour', u.occurred_at, 'UTC')
                AND w.status IN ('matched', 'flagged'))
          LIMIT p_limit
          FOR UPDATE OF u SKIP LOCKED
        )
        DELETE FROM usage_events WHERE id IN (SELECT id FROM doomed);
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        RETURN v_deleted;
      END
      $$`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION atrium_prune_usage_events(uuid, timestamptz, integer) FROM PUBLIC`);
    await queryRunner.query(
      `GRANT EXECUTE ON FUNCTION atrium_prune_usage_events(uuid, timestamptz, integer) TO atrium_app`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION atrium_prune_usage_events(uuid, timestamptz, integer)`);
  }
}
