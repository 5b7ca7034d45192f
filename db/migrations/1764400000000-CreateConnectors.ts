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
 * OAuth connectors (issue 15).
 *
 * - `connector_provider_clients`: the client id a platform admin set for a catalog provider and
 *   the secret store path of its secret (the secret itself is never in PostgreSQL). Platform data.
 * - `connector_custom_providers`: OAuth 2.0 / OIDC providers a tenant defined (the definition as
 *   JSON, its client id, the path of its secret). Tenant-owned.
 * - `connector_connections`: a tenant's connected accounts: provider, status, the account the
 *   connection test found, the secret store path of its tokens (never the tokens). Tenant-owned.
 * - `connector_authorizations`: one pending authorization per connection: the SHA-256 of its
 *   `state`, who started it, when it expires and when it was used (single use). Tenant-owned;
 *   the callback finds its row by the hash in platform scope, then works in the tenant's.
 */
export class CreateConnectors1764400000000 implements MigrationInterface {
  name = 'CreateConnectors1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE connector_provider_clients (
        provider text PRIMARY KEY,
        client_id text NOT NULL,
        secret_path text NOT NULL,
        updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON connector_provider_clients TO atrium_app`);

    await queryRunner.query(`
      CREATE TABLE connector_custom_providers (
        id text PRIMARY KEY CHECK (id ~ '^custom-[0-9a-f-]{36}$'),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        definition jsonb NOT NULL,
        client_id text NOT NULL,
        secret_path text NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX connector_custom_providers_tenant_idx ON connector_custom_providers (tenant_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE connector_connections (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        provider text NOT NULL,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'active', 'failed', 'expired', 'disconnecting', 'disconnected')),
        error_code text,
        error_message text,
        scopes text[] NOT NULL DEFAULT '{}',
        account_id text,
        account_name text,
        token_path text,
        token_expires_at timestamptz,
        workflow_id text NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        connected_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX connector_connections_tenant_idx ON connector_connections (tenant_id, created_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE connector_authorizations (
        connection_id uuid PRIMARY KEY REFERENCES connector_connections (id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        state_hash text NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        workflow_id text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX connector_authorizations_tenant_idx ON connector_authorizations (tenant_id)`);

    for (const table of ['connector_custom_providers', 'connector_connections', 'connector_authorizations']) {
      await queryRunner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`CREATE POLICY ${table}_tenant_isolation ON ${table} TO atrium_app ${TENANT_POLICY}`);
      await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO atrium_app`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE connector_authorizations`);
    await queryRunner.query(`DROP TABLE connector_connections`);
    await queryRunner.query(`DROP TABLE connector_custom_providers`);
    await queryRunner.query(`DROP TABLE connector_provider_clients`);
  }
}
