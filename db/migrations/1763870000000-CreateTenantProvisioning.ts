import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What provisionTenant builds beyond the schema (docs/decisions/0005):
 *
 * - `tenant_resources`: per tenant, what exists outside this database (its login role,
 *   secret policy, billing customer and subscription, namespaces, the welcome mail), so
 *   that each step knows whether it changed something (audit once) and each compensation
 *   knows what to undo.
 * - `tenant_licenses`: the tenant's signed license token; `license_signing_keys`: the
 *   public keys licenses were signed with, served as a JWKS so anyone can verify them.
 * - Two SECURITY DEFINER functions, owned by the migration owner, that create and drop a
 *   tenant's login role. The application role gets EXECUTE on them and nothing else: no
 *   CREATEROLE. Before PostgreSQL 16 a CREATEROLE role may create, alter and drop every
 *   non-superuser role and grant membership in any of them (atrium_app, pg_read_server_files,
 *   ...); these functions can only make `<tenant schema>_login` for a tenant row that has
 *   that schema, with fixed attributes, privileges on that schema only, a password given as
 *   a SCRAM verifier (never the password), and a comment binding the role to the tenant and
 *   this database, which the drop function checks. The migration owner therefore needs
 *   CREATEROLE (or to be a superuser).
 * - PUBLIC loses its default USAGE on schema `public`, so a tenant's login role sees
 *   nothing there (atrium_app has its own grant).
 */
export class CreateTenantProvisioning1763870000000 implements MigrationInterface {
  name = 'CreateTenantProvisioning1763870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_resources (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        database_role text,
        secret_policy text,
        billing_customer_id text,
        billing_subscription_id text,
        cluster_namespaces text[] NOT NULL DEFAULT '{}',
        welcome_sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE tenant_licenses (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
        license_id uuid NOT NULL UNIQUE,
        key_id text NOT NULL,
        tier text NOT NULL,
        token text NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now()
      )`);
    for (const table of ['tenant_resources', 'tenant_licenses']) {
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
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_resources TO atrium_app`);
    // A compensated provisioning withdraws the license it issued.
    await queryRunner.query(`GRANT SELECT, INSERT, DELETE ON tenant_licenses TO atrium_app`);

    await queryRunner.query(`
      CREATE TABLE license_signing_keys (
        key_id text PRIMARY KEY,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Keys are added, never changed: licenses signed with an old key must keep verifying.
    await queryRunner.query(`GRANT SELECT, INSERT ON license_signing_keys TO atrium_app`);

    await queryRunner.query(`
      CREATE FUNCTION atrium_ensure_tenant_login(p_tenant_id uuid, p_password_verifier text, p_reset_password boolean)
      RETURNS text
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_schema text;
        v_role text;
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_found boolean;
        v_existing_marker text;
        v_outcome text := 'unchanged';
      BEGIN
        SELECT t.schema_name INTO v_schema FROM public.tenants t WHERE t.id = p_tenant_id;
        IF v_schema IS NULL OR v_schema !~ '^tenant_[a-z0-9_]{1,40}$' THEN
          RAISE EXCEPTION 'tenant % has no schema yet; create the schema first', p_tenant_id USING ERRCODE = 'P0002';
        END IF;
        IF p_password_verifier !~ '^SCRAM-SHA-256[$][0-9]+:[A-Za-z0-9+/=]+[$][A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
          RAISE EXCEPTION 'the password must be given as a SCRAM-SHA-256 verifier' USING ERRCODE = '22023';
        END IF;
        v_role := v_schema || '_login';
        SELECT true, shobj_description(r.oid, 'pg_authid') INTO v_found, v_existing_marker
          FROM pg_roles r WHERE r.rolname = v_role;
        IF v_found IS NULL THEN
          EXECUTE format(
            'CREATE ROLE %I LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20 PASSWORD %L',
            v_role, p_password_verifier);
          EXECUTE format('COMMENT ON ROLE %I IS %L', v_role, v_marker);
          v_outcome := 'created';
        ELSIF v_existing_marker IS DISTINCT FROM v_marker THEN
          RAISE EXCEPTION 'the role % exists but Atrium did not create it for tenant % in database %', v_role, p_tenant_id, current_database()
            USING ERRCODE = '42710', HINT = 'drop or rename that role (it may belong to another Atrium database on this server), then retry';
        ELSIF p_reset_password THEN
          EXECUTE format('ALTER ROLE %I PASSWORD %L', v_role, p_password_verifier);
          v_outcome := 'password_reset';
        END IF;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), v_role);
        EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', v_schema, v_role);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', v_role, current_database(), v_schema);
        RETURN v_outcome;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION atrium_drop_tenant_login(p_tenant_id uuid, p_role text)
      RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_found boolean;
        v_existing_marker text;
      BEGIN
        IF p_role !~ '^tenant_[a-z0-9_]{1,40}_login$' THEN
          RAISE EXCEPTION '% is not a tenant login role', p_role USING ERRCODE = '22023';
        END IF;
        SELECT true, shobj_description(r.oid, 'pg_authid') INTO v_found, v_existing_marker
          FROM pg_roles r WHERE r.rolname = p_role;
        IF v_found IS NULL THEN
          RETURN false;
        END IF;
        IF v_existing_marker IS DISTINCT FROM v_marker THEN
          RAISE EXCEPTION 'the role % was not created by Atrium for tenant % in database %; leaving it alone', p_role, p_tenant_id, current_database()
            USING ERRCODE = '42501';
        END IF;
        -- DROP OWNED needs the role's privileges; a CREATEROLE owner (not superuser) gets
        -- them by joining it for the moment it still exists.
        EXECUTE format('GRANT %I TO %I', p_role, current_user);
        -- Objects it owns and privileges it holds in this database (its schema's content).
        EXECUTE format('DROP OWNED BY %I', p_role);
        EXECUTE format('DROP ROLE %I', p_role);
        RETURN true;
      END $$`);
    for (const fn of ['atrium_ensure_tenant_login(uuid, text, boolean)', 'atrium_drop_tenant_login(uuid, text)']) {
      await queryRunner.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
      await queryRunner.query(`GRANT EXECUTE ON FUNCTION ${fn} TO atrium_app`);
    }
    await queryRunner.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO PUBLIC`);
    await queryRunner.query(`DROP FUNCTION atrium_drop_tenant_login(uuid, text)`);
    await queryRunner.query(`DROP FUNCTION atrium_ensure_tenant_login(uuid, text, boolean)`);
    await queryRunner.query(`DROP TABLE license_signing_keys`);
    await queryRunner.query(`DROP TABLE tenant_licenses`);
    await queryRunner.query(`DROP TABLE tenant_resources`);
  }
}
