import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `api_processes` (docs/decisions/0030): one row per running API process, written by the
 * process itself each time it rereads the access-token signing keyring (SIGNING_KEYS_RELOAD_INTERVAL):
 * the keyring version and the kids it holds, the kid it signs with, and when it was last seen.
 * A signing-key rotation waits on these rows (every live process holds the new key, then
 * signs with it, then dropped the old one). A process deletes its row when it stops; a crashed
 * one's row ages out (a row unseen for three intervals is not live). Platform data: no tenant.
 */
export class CreateApiProcesses1765390000000 implements MigrationInterface {
  name = 'CreateApiProcesses1765390000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_processes (
        id uuid PRIMARY KEY,
        hostname text NOT NULL,
        pid integer NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        keyring_version integer NOT NULL,
        signing_kid text NOT NULL,
        kids text[] NOT NULL
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON api_processes TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_processes`);
  }
}
