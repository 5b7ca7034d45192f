import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-tenant API rate limits shared by every API process (api/http/tenant-rate-limit.ts).
 * `tenant_rate_windows` counts, per tenant and one-minute window, the requests the API
 * processes have leased between them. A process leases a small block at a time and admits
 * requests from it in memory, so the table is written once per block, not once per request.
 *
 * The app role may only read a tenant's own windows (row-level security, as every tenant table);
 * the only way to write is `atrium_take_rate_lease`, SECURITY DEFINER like the access-check
 * functions, called after the caller's access to the tenant was granted, with the plan's limit
 * (plans are code: workflows/shared/plans.ts); it grants at most what is left of the window.
 * Windows older than an hour are dropped as it goes.
 */
export class CreateTenantRateWindows1765320000000 implements MigrationInterface {
  name = 'CreateTenantRateWindows1765320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_rate_windows (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        window_start timestamptz NOT NULL,
        used integer NOT NULL CHECK (used >= 0),
        PRIMARY KEY (tenant_id, window_start)
      )`);
    await queryRunner.query(`ALTER TABLE tenant_rate_windows ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY tenant_rate_windows_tenant_isolation ON tenant_rate_windows TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT ON tenant_rate_windows TO atrium_app`);
    await queryRunner.query(`
      CREATE FUNCTION atrium_take_rate_lease(p_tenant uuid, p_window timestamptz, p_want integer, p_limit integer)
      RETURNS TABLE (granted integer, used integer)
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        v_used integer;
        v_granted integer;
      BEGIN
        INSERT INTO tenant_rate_windows AS w (tenant_id, window_start, used)
        VALUES (p_tenant, p_window, 0)
        ON CONFLICT ON CONSTRAINT tenant_rate_windows_pkey DO NOTHING;
        SELECT w.used INTO v_used FROM tenant_rate_windows w
        WHERE w.tenant_id = p_tenant AND w.window_start = p_window FOR UPDATE;
        v_granted := greatest(0, least(p_want, p_limit - v_used));
        IF v_granted > 0 THEN
          UPDATE tenant_rate_windows w SET used = v_used + v_granted
          WHERE w.tenant_id = p_tenant AND w.window_start = p_window;
        END IF;
        DELETE FROM tenant_rate_windows w
        WHERE w.tenant_id = p_tenant AND w.window_start < p_window - interval '1 hour';
        RETURN QUERY SELECT v_granted, v_used + v_granted;
      END
      $$`);
    await queryRunner.query(
      `REVOKE ALL ON FUNCTION atrium_take_rate_lease(uuid, timestamptz, integer, integer) FROM PUBLIC`,
    );
    await queryRunner.query(
      `GRANT EXECUTE ON FUNCTION atrium_take_rate_lease(uuid, timestamptz, integer, integer) TO atrium_app`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION atrium_take_rate_lease(uuid, timestamptz, integer, integer)`);
    await queryRunner.query(`DROP TABLE tenant_rate_windows`);
  }
}
