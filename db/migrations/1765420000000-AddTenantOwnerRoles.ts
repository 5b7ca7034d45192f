import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two login roles per tenant, used alternately, so a tenant's database login can be rotated
 * without a gap (docs/decisions/0032, extending 0005):
 *
 * - `<schema>_owner`: NOLOGIN, holds `USAGE, CREATE` on the tenant's schema and owns every
 *   object in it. Existing tenants' objects move to it (`REASSIGN OWNED`).
 * - `<schema>_login` (the existing one: login A) and `<schema>_login_b`: INHERIT members of
 *   the owner role, so each may use and change the owner's objects as if it owned them. (A
 *   default `SET role` on connect cannot be set from a SECURITY DEFINER function: PostgreSQL
 *   refuses the `role` setting there.) What a login creates is granted to the owner by default
 *   privileges and reassigned to it whenever the roles are ensured and when the login is
 *   disabled. Login B is made NOLOGIN with no password; a rotation gives the idle login a
 *   password (as a SCRAM verifier) and LOGIN, and at the end of its overlap window takes both
 *   away from the other.
 * - The SECURITY DEFINER functions: `atrium_ensure_tenant_login` now also ensures the owner
 *   and login B; `atrium_set_tenant_login_password` and `atrium_disable_tenant_login` act on
 *   one of the tenant's two logins only; `atrium_drop_tenant_login`, given any of the three,
 *   drops all three (what each owns in this database first). Every role carries the comment
 *   binding it to the tenant and this database; a role without it is never touched.
 *   `atrium_ensure_tenant_roles` (the shared part) is not executable by the application.
 */
export class AddTenantOwnerRoles1765420000000 implements MigrationInterface {
  name = 'AddTenantOwnerRoles1765420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION atrium_ensure_tenant_roles(p_tenant_id uuid)
      RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_schema text;
        v_owner text;
        v_login text;
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_found boolean;
        v_existing_marker text;
      BEGIN
        SELECT t.schema_name INTO v_schema FROM public.tenants t WHERE t.id = p_tenant_id;
        IF v_schema IS NULL OR v_schema !~ '^tenant_[a-z0-9_]{1,40}$' THEN
          RAISE EXCEPTION 'tenant % has no schema yet; create the schema first', p_tenant_id USING ERRCODE = 'P0002';
        END IF;
        v_owner := v_schema || '_owner';
        FOREACH v_login IN ARRAY ARRAY[v_owner, v_schema || '_login_b'] LOOP
          v_found := NULL;
          SELECT true, shobj_description(r.oid, 'pg_authid') INTO v_found, v_existing_marker
            FROM pg_roles r WHERE r.rolname = v_login;
          IF v_found IS NULL THEN
            EXECUTE format(
              'CREATE ROLE %I NOLOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 20',
              v_login);
            EXECUTE format('COMMENT ON ROLE %I IS %L', v_login, v_marker);
          ELSIF v_existing_marker IS DISTINCT FROM v_marker THEN
            RAISE EXCEPTION 'the role % exists but Atrium did not create it for tenant % in database %', v_login, p_tenant_id, current_database()
              USING ERRCODE = '42710', HINT = 'drop or rename that role (it may belong to another Atrium database on this server), then retry';
          END IF;
        END LOOP;
        EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', v_schema, v_owner);
        FOREACH v_login IN ARRAY ARRAY[v_schema || '_login', v_schema || '_login_b'] LOOP
          -- Each login has the owner's privileges (INHERIT): on the owner's objects as if it
          -- owned them. (A default SET role cannot be set from a SECURITY DEFINER function.)
          EXECUTE format('ALTER ROLE %I INHERIT', v_login);
          EXECUTE format('GRANT %I TO %I', v_owner, v_login);
          EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), v_login);
          EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I', v_login, current_database(), v_schema);
          -- REASSIGN OWNED and ALTER DEFAULT PRIVILEGES FOR ROLE need the privileges of the
          -- roles: a CREATEROLE owner (not superuser) joins them (it made them, through these functions).
          EXECUTE format('GRANT %I TO %I', v_login, current_user);
          -- What a login creates is the owner's to use at once (so the other login may), and
          -- becomes the owner's at the next REASSIGN (here, and when the login is disabled).
          EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT ALL ON TABLES TO %I', v_login, v_schema, v_owner);
          EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT ALL ON SEQUENCES TO %I', v_login, v_schema, v_owner);
          EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT ALL ON FUNCTIONS TO %I', v_login, v_schema, v_owner);
          EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT ALL ON TYPES TO %I', v_login, v_schema, v_owner);
        END LOOP;
        EXECUTE format('GRANT %I TO %I', v_owner, current_user);
        EXECUTE format('REASSIGN OWNED BY %I, %I TO %I', v_schema || '_login', v_schema || '_login_b', v_owner);
      END $$`);

    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_ensure_tenant_login(p_tenant_id uuid, p_password_verifier text, p_reset_password boolean)
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
          EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', v_role, p_password_verifier);
          v_outcome := 'password_reset';
        END IF;
        PERFORM public.atrium_ensure_tenant_roles(p_tenant_id);
        RETURN v_outcome;
      END $$`);

    await queryRunner.query(`
      CREATE FUNCTION atrium_set_tenant_login_password(p_tenant_id uuid, p_role text, p_password_verifier text)
      RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_schema text;
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_existing_marker text;
      BEGIN
        SELECT t.schema_name INTO v_schema FROM public.tenants t WHERE t.id = p_tenant_id;
        IF v_schema IS NULL OR p_role NOT IN (v_schema || '_login', v_schema || '_login_b') THEN
          RAISE EXCEPTION '% is not a login role of tenant %', p_role, p_tenant_id USING ERRCODE = '22023';
        END IF;
        IF p_password_verifier !~ '^SCRAM-SHA-256[$][0-9]+:[A-Za-z0-9+/=]+[$][A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
          RAISE EXCEPTION 'the password must be given as a SCRAM-SHA-256 verifier' USING ERRCODE = '22023';
        END IF;
        PERFORM public.atrium_ensure_tenant_roles(p_tenant_id);
        SELECT shobj_description(r.oid, 'pg_authid') INTO v_existing_marker FROM pg_roles r WHERE r.rolname = p_role;
        IF v_existing_marker IS DISTINCT FROM v_marker THEN
          RAISE EXCEPTION 'the role % was not created by Atrium for tenant % in database %; leaving it alone', p_role, p_tenant_id, current_database()
            USING ERRCODE = '42501';
        END IF;
        EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_role, p_password_verifier);
      END $$`);

    await queryRunner.query(`
      CREATE FUNCTION atrium_disable_tenant_login(p_tenant_id uuid, p_role text)
      RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_schema text;
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_existing_marker text;
        v_can_login boolean;
      BEGIN
        SELECT t.schema_name INTO v_schema FROM public.tenants t WHERE t.id = p_tenant_id;
        IF v_schema IS NULL OR p_role NOT IN (v_schema || '_login', v_schema || '_login_b') THEN
          RAISE EXCEPTION '% is not a login role of tenant %', p_role, p_tenant_id USING ERRCODE = '22023';
        END IF;
        SELECT shobj_description(r.oid, 'pg_authid'), r.rolcanlogin INTO v_existing_marker, v_can_login
          FROM pg_roles r WHERE r.rolname = p_role;
        IF v_existing_marker IS NULL THEN
          RETURN false;
        END IF;
        IF v_existing_marker IS DISTINCT FROM v_marker THEN
          RAISE EXCEPTION 'the role % was not created by Atrium for tenant % in database %; leaving it alone', p_role, p_tenant_id, current_database()
            USING ERRCODE = '42501';
        END IF;
        EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', p_role);
        -- What it created while it was in use becomes the owner's.
        PERFORM public.atrium_ensure_tenant_roles(p_tenant_id);
        RETURN v_can_login;
      END $$`);

    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_drop_tenant_login(p_tenant_id uuid, p_role text)
      RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        v_marker text := format('atrium tenant %s in database %s', p_tenant_id, current_database());
        v_base text;
        v_role text;
        v_found boolean;
        v_existing_marker text;
        v_dropped boolean := false;
      BEGIN
        IF p_role !~ '^tenant_[a-z0-9_]{1,40}_(login|login_b|owner)$' THEN
          RAISE EXCEPTION '% is not a tenant login role', p_role USING ERRCODE = '22023';
        END IF;
        v_base := regexp_replace(p_role, '_(login|login_b|owner)$', '');
        -- Logins first, the owner last (its members go with the logins).
        FOREACH v_role IN ARRAY ARRAY[v_base || '_login', v_base || '_login_b', v_base || '_owner'] LOOP
          v_found := NULL;
          SELECT true, shobj_description(r.oid, 'pg_authid') INTO v_found, v_existing_marker
            FROM pg_roles r WHERE r.rolname = v_role;
          CONTINUE WHEN v_found IS NULL;
          IF v_existing_marker IS DISTINCT FROM v_marker THEN
            RAISE EXCEPTION 'the role % was not created by Atrium for tenant % in database %; leaving it alone', v_role, p_tenant_id, current_database()
              USING ERRCODE = '42501';
          END IF;
        END LOOP;
        FOREACH v_role IN ARRAY ARRAY[v_base || '_login', v_base || '_login_b', v_base || '_owner'] LOOP
          CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = v_role);
          -- DROP OWNED needs the role's privileges; a CREATEROLE owner (not superuser) gets
          -- them by joining it for the moment it still exists.
          EXECUTE format('GRANT %I TO %I', v_role, current_user);
          EXECUTE format('DROP OWNED BY %I', v_role);
          EXECUTE format('DROP ROLE %I', v_role);
          v_dropped := true;
        END LOOP;
        RETURN v_dropped;
      END $$`);

    await queryRunner.query(`REVOKE ALL ON FUNCTION atrium_ensure_tenant_roles(uuid) FROM PUBLIC`);
    for (const fn of [
      'atrium_set_tenant_login_password(uuid, text, text)',
      'atrium_disable_tenant_login(uuid, text)',
    ]) {
      await queryRunner.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
      await queryRunner.query(`GRANT EXECUTE ON FUNCTION ${fn} TO atrium_app`);
    }

    // Existing tenants: their login becomes login A, what it owns moves to the owner role.
    await queryRunner.query(`
      DO $$
      DECLARE
        v_tenant record;
      BEGIN
        FOR v_tenant IN
          SELECT t.id FROM public.tenants t
          JOIN pg_roles r ON r.rolname = t.schema_name || '_login'
          WHERE t.schema_name IS NOT NULL
            AND shobj_description(r.oid, 'pg_authid') = format('atrium tenant %s in database %s', t.id, current_database())
        LOOP
          PERFORM public.atrium_ensure_tenant_roles(v_tenant.id);
        END LOOP;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Back to one login per tenant: login A owns its objects again; login B and the owner go.
    await queryRunner.query(`
      DO $$
      DECLARE
        v_tenant record;
        v_schema text;
      BEGIN
        FOR v_tenant IN
          SELECT t.schema_name FROM public.tenants t
          JOIN pg_roles r ON r.rolname = t.schema_name || '_owner'
          WHERE t.schema_name IS NOT NULL
            AND shobj_description(r.oid, 'pg_authid') = format('atrium tenant %s in database %s', t.id, current_database())
        LOOP
          v_schema := v_tenant.schema_name;
          EXECUTE format('REASSIGN OWNED BY %I, %I TO %I', v_schema || '_owner', v_schema || '_login_b', v_schema || '_login');
          EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', v_schema, v_schema || '_login');
          EXECUTE format('ALTER ROLE %I NOINHERIT', v_schema || '_login');
          EXECUTE format('DROP OWNED BY %I, %I', v_schema || '_owner', v_schema || '_login_b');
          EXECUTE format('DROP ROLE %I', v_schema || '_login_b');
          EXECUTE format('DROP ROLE %I', v_schema || '_owner');
        END LOOP;
      END $$`);
    await queryRunner.query(`DROP FUNCTION atrium_disable_tenant_login(uuid, text)`);
    await queryRunner.query(`DROP FUNCTION atrium_set_tenant_login_password(uuid, text, text)`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_ensure_tenant_login(p_tenant_id uuid, p_password_verifier text, p_reset_password boolean)
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
      CREATE OR REPLACE FUNCTION atrium_drop_tenant_login(p_tenant_id uuid, p_role text)
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
        EXECUTE format('GRANT %I TO %I', p_role, current_user);
        EXECUTE format('DROP OWNED BY %I', p_role);
        EXECUTE format('DROP ROLE %I', p_role);
        RETURN true;
      END $$`);
    await queryRunner.query(`DROP FUNCTION atrium_ensure_tenant_roles(uuid)`);
  }
}
