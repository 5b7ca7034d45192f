import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email verification and password reset: single-use tokens mailed as links, stored as
 * SHA-256 hashes with an expiry. Accounts created before this migration count as verified
 * (they were made by an administrator, not by signup).
 */
export class CreateAccountTokens1763830000000 implements MigrationInterface {
  name = 'CreateAccountTokens1763830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await queryRunner.query(`UPDATE users SET email_verified_at = now()`);
    await queryRunner.query(`
      CREATE TABLE account_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
        token_hash bytea NOT NULL UNIQUE,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose, created_at)`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON account_tokens TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE account_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
