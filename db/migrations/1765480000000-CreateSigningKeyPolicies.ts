import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `signing_key_policies` (docs/decisions/0038): a platform admin's rotation policy per signing
 * keyring (`access-tokens`, `licenses`): rotate every `every_seconds`. The policy's Temporal
 * Schedule (`signing-key-rotation/<deployment>/<purpose>`) is made to match it whenever it is set
 * or removed. Platform data: no tenant.
 */
export class CreateSigningKeyPolicies1765480000000 implements MigrationInterface {
  name = 'CreateSigningKeyPolicies1765480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE signing_key_policies (
        purpose text PRIMARY KEY CHECK (purpose IN ('access-tokens', 'licenses')),
        every_seconds integer NOT NULL CHECK (every_seconds > 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON signing_key_policies TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE signing_key_policies`);
  }
}
