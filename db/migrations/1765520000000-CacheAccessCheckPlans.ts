import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two access-check functions every tenant request calls (migration 1763990000000),
 * rewritten from LANGUAGE sql to plpgsql with the same signatures, results and rights.
 *
 * Why: a SECURITY DEFINER function with a SET clause is never inlined, and before
 * PostgreSQL 18 the SQL-function executor parses and plans its body again on every call;
 * plpgsql keeps each statement's plan for the session. Measured with pgbench on the same
 * server (PostgreSQL 15, extended protocol, 4 clients): `atrium_tenant_access` 3,640 calls/s
 * as sql, 16,100 as plpgsql. Under the read benchmark the database's CPU per tenant read was
 * twice the bare endpoint's four statements (issue 12). Nothing is cached across calls but the
 * plan: each call still reads the rows as they are.
 */
const TENANT_ACCESS_RESULT = `TABLE (
        id uuid, slug text, name text, plan text, status text,
        failure_reason text, approval_status text, created_at timestamptz, updated_at timestamptz,
        member_role text, sso_enabled boolean, sso_required boolean, suspension_reason text
      )`;
const TENANT_ACCESS_QUERY = `SELECT t.id, t.slug, t.name, t.plan, t.status,
               t.failure_reason, t.approval_status, t.created_at, t.updated_at,
               m.role, s.enabled, s.sso_required,
               (SELECT ts.reason FROM tenant_suspensions ts
                WHERE ts.tenant_id = t.id AND ts.reactivated_at IS NULL)
        FROM tenants t
        LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = p_user_id
        LEFT JOIN sso_connections s ON s.tenant_id = t.id
        WHERE t.slug = p_slug`;
const API_KEY_RESULT = `TABLE (
        id uuid, tenant_id uuid, role text, secret_hash bytea,
        expires_at timestamptz, revoked_at timestamptz, used_recently boolean
      )`;
const API_KEY_QUERY = `SELECT k.id, k.tenant_id, k.role, k.secret_hash, k.expires_at, k.revoked_at,
               coalesce(k.last_used_at >= now() - interval '1 minute', false)
        FROM api_keys k
        WHERE k.prefix = p_prefix`;

// RETURNS TABLE's columns are plpgsql variables too: #variable_conflict use_column makes the
// queries' bare names (id, slug, …) mean the tables' columns, as they did in the sql bodies.
export class CacheAccessCheckPlans1765520000000 implements MigrationInterface {
  name = 'CacheAccessCheckPlans1765520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_tenant_access(p_slug text, p_user_id uuid)
      RETURNS ${TENANT_ACCESS_RESULT}
      LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY ${TENANT_ACCESS_QUERY};
      END
      $$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_api_key_credentials(p_prefix text)
      RETURNS ${API_KEY_RESULT}
      LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY ${API_KEY_QUERY};
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_tenant_access(p_slug text, p_user_id uuid)
      RETURNS ${TENANT_ACCESS_RESULT}
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        ${TENANT_ACCESS_QUERY}
      $$`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION atrium_api_key_credentials(p_prefix text)
      RETURNS ${API_KEY_RESULT}
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        ${API_KEY_QUERY}
      $$`);
  }
}
