import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The local secret store (integrations/secrets/local.ts), used when no Vault is configured:
 * versioned secrets encrypted with AES-256-GCM under a key kept outside the database, and
 * the tenant access records that stand in for Vault policies and AppRoles. Platform rows:
 * only the secret store adapter reads them, and without the key file they are ciphertext.
 */
export class CreateLocalSecretStore1763810000000 implements MigrationInterface {
  name = 'CreateLocalSecretStore1763810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE local_secrets (
        path text NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        ciphertext text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (path, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE local_secret_access (
        slug text PRIMARY KEY,
        role_id uuid NOT NULL DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, DELETE ON local_secrets, local_secret_access TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE local_secret_access`);
    await queryRunner.query(`DROP TABLE local_secrets`);
  }
}
