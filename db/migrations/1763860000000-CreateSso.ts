import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_POLICY = `
  USING (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )
  WITH CHECK (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )`;

/**
 * Single sign-on per tenant through OpenID Connect:
 * - `sso_connections`: the tenant's identity provider (issuer, client id; the client secret
 *   lives in the secret store, this row names its path and version, so a change that fails
 *   half-way leaves the row on the version it had), the role new people get, and
 *   whether members must sign in through it;
 * - `sso_domains`: email domains the tenant proved it controls (a link mailed to an address
 *   at the domain); a verified domain routes a login to the tenant's provider and is the
 *   only place just-in-time accounts may come from. One tenant per verified domain;
 * - `sso_identities`: which provider account (issuer + subject) is which Atrium user;
 * - `sso_login_attempts`: the state, nonce and PKCE verifier of a login in flight, single use.
 * All tenant-owned under row-level security. Two lookups happen before the tenant is known
 * (a login's email domain, a callback's state) and go through the platform scope.
 * Refresh token families remember the tenant whose provider signed them in, which is what
 * "SSO required" checks.
 */
export class CreateSso1763860000000 implements MigrationInterface {
  name = 'CreateSso1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sso_connections (
        tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        issuer text NOT NULL,
        client_id text NOT NULL,
        client_secret_path text NOT NULL,
        client_secret_version integer NOT NULL,
        default_role text NOT NULL CHECK (default_role IN ('admin', 'developer', 'viewer')),
        sso_required boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE sso_domains (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        domain text NOT NULL CHECK (domain = lower(domain)),
        verification_email text NOT NULL,
        token_hash bytea UNIQUE,
        token_expires_at timestamptz,
        verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, domain)
      )`);
    // A verified domain belongs to one tenant: a login for it must go to exactly one provider.
    await queryRunner.query(
      `CREATE UNIQUE INDEX sso_domains_verified_idx ON sso_domains (domain) WHERE verified_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE sso_identities (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        issuer text NOT NULL,
        subject text NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, issuer, subject)
      )`);
    await queryRunner.query(`
      CREATE TABLE sso_login_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        state_hash bytea NOT NULL UNIQUE,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        return_to text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    for (const table of ['sso_connections', 'sso_domains', 'sso_identities', 'sso_login_attempts']) {
      await queryRunner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`CREATE POLICY ${table}_tenant_isolation ON ${table} TO atrium_app ${TENANT_POLICY}`);
    }
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON sso_connections, sso_domains TO atrium_app`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON sso_identities, sso_login_attempts TO atrium_app`);
    await queryRunner.query(
      `ALTER TABLE refresh_tokens ADD COLUMN sso_tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE`,
    );
    // People who arrive through SSO have no password (they may set one by a reset link).
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM users WHERE password_hash IS NULL`);
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE refresh_tokens DROP COLUMN sso_tenant_id`);
    await queryRunner.query(`DROP TABLE sso_login_attempts, sso_identities, sso_domains, sso_connections`);
  }
}
