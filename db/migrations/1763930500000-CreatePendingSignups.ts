import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verify-email-first signup: a signup waits here until its mailed link is opened. Each row
 * is one mailed link: the SHA-256 of its single-use token (the token is only in the mail),
 * an expiry, and what the signup asked for, the password as its argon2id hash only (cleared
 * once the account exists). A signup for an address that has an account already gets a row
 * too, with `existing_user_id` and no token or password: it counts toward the address's
 * mail limit, and the mail it sent links to sign-in instead. Rows are deleted a week after
 * they expire; until then a late click is told the link expired (or was used).
 */
export class CreatePendingSignups1763930500000 implements MigrationInterface {
  name = 'CreatePendingSignups1763930500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE pending_signups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        display_name text NOT NULL,
        password_hash text,
        organization_name text NOT NULL,
        organization_slug text NOT NULL,
        plan text NOT NULL,
        token_hash bytea UNIQUE,
        existing_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        completed_at timestamptz,
        user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        CHECK ((existing_user_id IS NULL) = (token_hash IS NOT NULL)),
        CHECK (completed_at IS NULL OR password_hash IS NULL)
      )`);
    await queryRunner.query(`CREATE INDEX pending_signups_email_idx ON pending_signups (lower(email), created_at)`);
    await queryRunner.query(`CREATE INDEX pending_signups_expiry_idx ON pending_signups (expires_at)`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON pending_signups TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE pending_signups`);
  }
}
