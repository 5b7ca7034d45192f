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
 * Approvals for production secrets (issue 16, docs/decisions/0035): one row per change or
 * reveal of a secret whose environment's approval policy asks for an approval
 * (`secret-change/<tenant>/<secret>/<n>`, `secret-reveal/<tenant>/<secret>/<n>`).
 *
 * - A change names the secret store version its new value was staged at before the workflow
 *   started (`staged_store_version`): no row of tenant_secret_versions names it until the
 *   approval, so nothing serves it; a rejection destroys it. `version` is the secret version
 *   it became once applied.
 * - A reveal names the version asked for (`reveal_version`); an approval grants the requester
 *   one reveal until `grant_expires_at`, consumed once (`grant_used_at`).
 *
 * Never a value. Tenant-owned under row-level security; the application role may not DELETE.
 */
export class CreateSecretApprovals1765450000000 implements MigrationInterface {
  name = 'CreateSecretApprovals1765450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE secret_approvals (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        secret_id uuid NOT NULL REFERENCES tenant_secrets (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('change', 'reveal')),
        number integer NOT NULL CHECK (number > 0),
        workflow_id text NOT NULL,
        approval_request_id uuid NOT NULL,
        requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
        status text NOT NULL CHECK (status IN ('awaiting-approval', 'applied', 'granted', 'rejected', 'failed')),
        detail text,
        staged_store_version integer,
        version integer,
        reveal_version integer,
        grant_expires_at timestamptz,
        grant_used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        PRIMARY KEY (secret_id, kind, number),
        CHECK ((kind = 'change') = (staged_store_version IS NOT NULL)),
        CHECK ((kind = 'reveal') = (reveal_version IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX secret_approvals_tenant_idx ON secret_approvals (tenant_id, created_at)`);
    await queryRunner.query(`ALTER TABLE secret_approvals ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY secret_approvals_tenant_isolation ON secret_approvals TO atrium_app ${TENANT_POLICY}`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON secret_approvals TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE secret_approvals`);
  }
}
