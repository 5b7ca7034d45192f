import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in state: rotating refresh tokens (stored hashed, grouped in families so a reused
 * token revokes every token descended from the same login) and login lockout counters.
 */
export class CreateRefreshTokens1763790000000 implements MigrationInterface {
  name = 'CreateRefreshTokens1763790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
        ADD COLUMN locked_until timestamptz`);
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        family_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        issued_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);
    // Tokens are revoked and marked used, never deleted by the application.
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until`);
  }
}
