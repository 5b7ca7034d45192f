import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `atrium_ensure_tenant_roles` (migration 1765420000000) granted CONNECT on the database to
 * both of a tenant's logins on every call. A GRANT on a database rewrites that database's one
 * row in pg_database, so two transactions doing it at once collide: the second waits for the
 * first to commit and then fails with "tuple concurrently updated". Provisioning tenants at
 * the same time, nearly every `database` step after the first failed once and was retried a
 * second later (issue 12's provisioning benchmark: that step took ×18–21 its time alone).
 *
 * Now CONNECT is granted only to a login that lacks it (a retry, a rotation or a second call
 * writes nothing), and a grant first takes a transaction-level advisory lock of this
 * database's, so concurrent grants wait their turn instead of failing. Same roles, same rights.
 */
const GUARDED_CONNECT_GRANT = `IF NOT EXISTS (
            SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
            WHERE d.datname = current_database() AND a.grantee = v_login::regrole AND a.privilege_type = 'CONNECT'
          ) THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('atrium:database-acl:' || current_database(), 0));
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), v_login);
          END IF;`;
const PLAIN_CONNECT_GRANT = `EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), v_login);`;

/** The function of migration 1765420000000, with its CONNECT grant given. */
const ensureTenantRoles = (connectGrant: string) => `
      CREATE OR REPLACE FUNCTION atrium_ensure_tenant_roles(p_tenant_id uuid)
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
          ${connectGrant}
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
      END $$`;

// CREATE OR REPLACE keeps the function's owner and rights (not executable by the application).
export class SerializeTenantConnectGrants1765530000000 implements MigrationInterface {
  name = 'SerializeTenantConnectGrants1765530000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(ensureTenantRoles(GUARDED_CONNECT_GRANT));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(ensureTenantRoles(PLAIN_CONNECT_GRANT));
  }
}
