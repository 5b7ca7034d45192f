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
 * Tenant secrets (issue 16): the metadata of the secrets a tenant keeps with Atrium. Never a
 * value: values live in the secret store under `tenants/<slug>/secrets/<id>`.
 *
 * - `tenant_secrets`: one row per secret: name, kind, environment, the current version, the
 *   rotation policy (seconds, and the duration as given), its next due date, consumers. A
 *   deleted secret keeps its row (`deleted_at`) until its values are destroyed; its name can be
 *   used again at once.
 * - `tenant_secret_versions`: one row per version, with the secret store's own version number
 *   (the store's number is what a reveal reads; a version the store wrote but no row names is
 *   never served). A replaced version is kept until `retain_until`, then destroyed and marked
 *   `purged_at`.
 *
 * Both are tenant-owned under row-level security; the application role may not DELETE.
 */
export class CreateTenantSecrets1764600000000 implements MigrationInterface {
  name = 'CreateTenantSecrets1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenant_secrets (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
        kind text NOT NULL CHECK (kind IN ('generic', 'database-password', 'api-key', 'oauth-client-secret', 'signing-key')),
        environment text NOT NULL CHECK (environment ~ '^[a-z][a-z0-9-]{0,14}$'),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
        store_path text NOT NULL,
        current_version integer NOT NULL CHECK (current_version > 0),
        consumers text[] NOT NULL DEFAULT '{}',
        rotation_every_seconds bigint CHECK (rotation_every_seconds > 0),
        rotation_every text,
        next_rotation_at timestamptz,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz,
        deleted_at timestamptz,
        deleted_by uuid REFERENCES users (id) ON DELETE SET NULL,
        CHECK ((rotation_every_seconds IS NULL) = (rotation_every IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX tenant_secrets_tenant_idx ON tenant_secrets (tenant_id, environment, name)`);
    // One live secret per name and environment; a deleted one's name is free again.
    await queryRunner.query(
      `CREATE UNIQUE INDEX tenant_secrets_live_name_idx ON tenant_secrets (tenant_id, environment, lower(name))
       WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE tenant_secrets ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY tenant_secrets_tenant_isolation ON tenant_secrets TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_secrets TO atrium_app`);

    await queryRunner.query(`
      CREATE TABLE tenant_secret_versions (
        secret_id uuid NOT NULL REFERENCES tenant_secrets (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        store_version integer NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        superseded_at timestamptz,
        retain_until timestamptz,
        purged_at timestamptz,
        PRIMARY KEY (secret_id, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX tenant_secret_versions_due_idx ON tenant_secret_versions (tenant_id, retain_until)
       WHERE purged_at IS NULL AND retain_until IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE tenant_secret_versions ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY tenant_secret_versions_tenant_isolation ON tenant_secret_versions TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenant_secret_versions TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_secret_versions`);
    await queryRunner.query(`DROP TABLE tenant_secrets`);
  }
}
