import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offboarding tenants (offboardTenant, workflow `tenant-offboard/<slug>`):
 *
 * - Two more tenant statuses: `offboarding` (closed, waiting out the grace period; a cancel
 *   brings it back to `active`) and `offboarded` (its resources are deleted; the row, its
 *   audit log, its export and its teardown report stay).
 * - `tenant_exports`: the downloadable archive (tar.gz) of the tenant's data, one per
 *   offboarding operation. Tenant-owned under row-level security; the app may only add and
 *   read them (a retry finds the first one).
 * - `tenant_teardown_reports`: per tenant, its latest offboarding (operation, reason, the
 *   status a cancel returns to) and what it deleted with the evidence that it is gone,
 *   filled step by step (`steps` jsonb keyed by step name) so that a retried step keeps
 *   what an earlier attempt recorded. A new offboarding after a cancelled one starts it afresh.
 * - `atrium_export_tenant_schema(tenant_id)`: SECURITY DEFINER, like the role functions
 *   (docs/decisions/0005). The tenant's tables belong to its login role, which the runtime
 *   role is not a member of, so the runtime role cannot read them; this function returns, for
 *   the tenant's own schema only, each table's CREATE statement and its rows as JSON.
 */
export class CreateTenantOffboarding1763895000000 implements MigrationInterface {
  name = 'CreateTenantOffboarding1763895000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await queryRunner.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
       CHECK (status IN ('pending', 'active', 'failed', 'suspended', 'offboarding', 'offboarded'))`,
    );
    await queryRunner.query(`
      CREATE TABLE tenant_exports (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        operation_id text NOT NULL,
        file_name text NOT NULL,
        media_type text NOT NULL,
        archive bytea NOT NULL,
        size_bytes integer NOT NULL,
        sha256 text NOT NULL,
        contents jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, operation_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE tenant_teardown_reports (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        operation_id text NOT NULL,
        reason text NOT NULL,
        -- What a cancelled offboarding returns the tenant to (active or suspended).
        previous_status text NOT NULL,
        steps jsonb NOT NULL DEFAULT '{}',
        started_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz,
        completed_at timestamptz
      )`);
    for (const table of ['tenant_exports', 'tenant_teardown_reports']) {
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
    }
    await queryRunner.query(`GRANT SELECT, INSERT ON tenant_exports TO atrium_app`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_teardown_reports TO atrium_app`);

    await queryRunner.query(`
      CREATE FUNCTION atrium_export_tenant_schema(p_tenant_id uuid)
      RETURNS TABLE (table_name text, ddl text, rows jsonb)
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_schema text;
        v_role text;
        v_table record;
      BEGIN
        SELECT t.schema_name INTO v_schema FROM public.tenants t WHERE t.id = p_tenant_id;
        IF v_schema IS NULL OR v_schema !~ '^tenant_[a-z0-9_]{1,40}$' THEN
          RAISE EXCEPTION 'tenant % has no schema', p_tenant_id USING ERRCODE = 'P0002';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = v_schema) THEN
          RETURN;
        END IF;
        v_role := v_schema || '_login';
        -- The tables belong to the tenant's login role; a CREATEROLE owner (not superuser)
        -- reads them by joining it, as atrium_drop_tenant_login does before dropping it.
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) AND NOT pg_has_role(current_user, v_role, 'USAGE') THEN
          EXECUTE format('GRANT %I TO %I', v_role, current_user);
        END IF;
        FOR v_table IN
          SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = v_schema AND c.relkind IN ('r', 'p') ORDER BY c.relname
        LOOP
          table_name := v_table.relname;
          SELECT format(E'CREATE TABLE %I.%I (\\n  %s\\n);', v_schema, v_table.relname,
                   string_agg(line, E',\\n  ' ORDER BY ord))
            INTO ddl
            FROM (
              SELECT a.attnum AS ord,
                     format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
                FROM pg_attribute a
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = v_table.oid AND a.attnum > 0 AND NOT a.attisdropped
              UNION ALL
              SELECT 10000 + row_number() OVER (ORDER BY con.conname),
                     format('CONSTRAINT %I %s', con.conname, pg_get_constraintdef(con.oid))
                FROM pg_constraint con WHERE con.conrelid = v_table.oid
            ) lines;
          EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t)), ''[]''::jsonb) FROM %I.%I t', v_schema, v_table.relname)
            INTO rows;
          RETURN NEXT;
        END LOOP;
      END $$`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION atrium_export_tenant_schema(uuid) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION atrium_export_tenant_schema(uuid) TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION atrium_export_tenant_schema(uuid)`);
    await queryRunner.query(`DROP TABLE tenant_teardown_reports`);
    await queryRunner.query(`DROP TABLE tenant_exports`);
    await queryRunner.query(`UPDATE tenants SET status = 'active' WHERE status = 'offboarding'`);
    await queryRunner.query(`ALTER TABLE tenants DROP CONSTRAINT tenants_status_check`);
    await queryRunner.query(
      `ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('pending', 'active', 'failed', 'suspended'))`,
    );
  }
}
