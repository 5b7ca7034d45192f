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
 * Secret rotation (issue 16, docs/decisions/0015): the rotateSecret workflow's record of each
 * rotation, and how a secret is rotated.
 *
 * - `tenant_secrets.rotation_settings`: how Atrium makes a new value (the generator's shape)
 *   and how each consumer is told and verified (a verify hook URL per consumer), and the
 *   overlap window. Never a value.
 * - `tenant_secret_versions.abandoned_at`: a version a rotation made and then rolled back; it
 *   never became current, and its value is destroyed at the end of its retention.
 * - `secret_rotations`: one row per rotation (`secret-rotate/<tenant>/<secret>/<n>`): its
 *   strategy, trigger, status, versions, the end of its overlap window, the report of every
 *   consumer updated and verified (and when), and, for kinds Atrium cannot rotate itself,
 *   who confirmed the manual rotation, and which mails went out (`mailed`: a retried activity
 *   sends none twice). At most one open rotation per secret.
 *
 * Tenant-owned under row-level security; the application role may not DELETE.
 */
export class CreateSecretRotations1765000000000 implements MigrationInterface {
  name = 'CreateSecretRotations1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_secrets ADD COLUMN rotation_settings jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE tenant_secret_versions ADD COLUMN abandoned_at timestamptz`);
    await queryRunner.query(`
      CREATE TABLE secret_rotations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        secret_id uuid NOT NULL REFERENCES tenant_secrets (id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number > 0),
        workflow_id text NOT NULL,
        strategy text NOT NULL CHECK (strategy IN ('generated', 'api-key', 'manual')),
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
        requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
        status text NOT NULL CHECK (status IN ('running', 'overlap', 'completed', 'rolled_back', 'failed',
          'waiting_confirmation', 'confirmed', 'unconfirmed')),
        from_version integer NOT NULL,
        to_version integer,
        overlap_until timestamptz,
        due_at timestamptz,
        report jsonb NOT NULL DEFAULT '[]',
        message text,
        mailed text[] NOT NULL DEFAULT '{}',
        confirmed_by uuid REFERENCES users (id) ON DELETE SET NULL,
        confirmed_at timestamptz,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (secret_id, number)
      )`);
    // One open rotation per secret: a second "rotate now" finds the first.
    await queryRunner.query(
      `CREATE UNIQUE INDEX secret_rotations_open_idx ON secret_rotations (secret_id)
       WHERE status IN ('running', 'overlap', 'waiting_confirmation')`,
    );
    await queryRunner.query(`CREATE INDEX secret_rotations_tenant_idx ON secret_rotations (tenant_id, started_at)`);
    await queryRunner.query(`ALTER TABLE secret_rotations ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY secret_rotations_tenant_isolation ON secret_rotations TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON secret_rotations TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE secret_rotations`);
    await queryRunner.query(`ALTER TABLE tenant_secret_versions DROP COLUMN abandoned_at`);
    await queryRunner.query(`ALTER TABLE tenant_secrets DROP COLUMN rotation_settings`);
  }
}
