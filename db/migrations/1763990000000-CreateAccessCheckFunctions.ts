import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access checks of a request, each one statement instead of a scoped transaction of
 * four or five round trips (issue 12):
 * - `atrium_tenant_access(slug, user_id)`: everything the API checks before a tenant route
 *   (the tenant, the user's membership role, the tenant's SSO requirement, the open
 *   suspension's reason);
 * - `atrium_api_key_credentials(prefix)`: a presented API key's stored hash, tenant, role,
 *   expiry and revocation, and whether its use was recorded in the last minute.
 *
 * SECURITY DEFINER, owned by the migration owner, because these tables are under
 * row-level security and the tenant (for the scope) is what they look up. They return
 * nothing the app role could not read in platform scope, and write nothing. Nothing is
 * cached: a role change, a removal, a suspension or a revoked key counts on the next request.
 */
export class CreateAccessCheckFunctions1763990000000 implements MigrationInterface {
  name = 'CreateAccessCheckFunctions1763990000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION atrium_tenant_access(p_slug text, p_user_id uuid)
      RETURNS TABLE (
        id uuid, slug text, name text, plan text, status text,
        failure_reason text, approval_status text, created_at timestamptz, updated_at timestamptz,
        member_role text, sso_enabled boolean, sso_required boolean, suspension_reason text
      )
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT t.id, t.slug, t.name, t.plan, t.status,
               t.failure_reason, t.approval_status, t.created_at, t.updated_at,
               m.role, s.enabled, s.sso_required,
               (SELECT ts.reason FROM tenant_suspensions ts
                WHERE ts.tenant_id = t.id AND ts.reactivated_at IS NULL)
        FROM tenants t
        LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = p_user_id
        LEFT JOIN sso_connections s ON s.tenant_id = t.id
        WHERE t.slug = p_slug
      $$`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION atrium_tenant_access(text, uuid) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION atrium_tenant_access(text, uuid) TO atrium_app`);

    await queryRunner.query(`
      CREATE FUNCTION atrium_api_key_credentials(p_prefix text)
      RETURNS TABLE (
        id uuid, tenant_id uuid, role text, secret_hash bytea,
        expires_at timestamptz, revoked_at timestamptz, used_recently boolean
      )
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT k.id, k.tenant_id, k.role, k.secret_hash, k.expires_at, k.revoked_at,
               coalesce(k.last_used_at >= now() - interval '1 minute', false)
        FROM api_keys k
        WHERE k.prefix = p_prefix
      $$`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION atrium_api_key_credentials(text) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION atrium_api_key_credentials(text) TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION atrium_api_key_credentials(text)`);
    await queryRunner.query(`DROP FUNCTION atrium_tenant_access(text, uuid)`);
  }
}
