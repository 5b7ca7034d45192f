import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys: per tenant, scoped to a role, stored as a SHA-256 hash of the whole key (the
 * key is 256 random bits, so a fast hash is enough: there is nothing to brute-force). The
 * prefix is shown to people and finds the row. Revoked keys stay, for the audit trail.
 */
export class CreateApiKeys1763820000000 implements MigrationInterface {
  name = 'CreateApiKeys1763820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        prefix text NOT NULL UNIQUE,
        secret_hash bytea NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, created_at)`);
    // Names tell active keys apart; a revoked key's name may be used again.
    await queryRunner.query(
      `CREATE UNIQUE INDEX api_keys_active_name_idx ON api_keys (tenant_id, lower(name)) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY api_keys_tenant_isolation ON api_keys TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON api_keys TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
