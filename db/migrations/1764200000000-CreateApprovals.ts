import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The approval primitive (workflows/approvals/, docs/decisions/0007-approval-assertions.md):
 *
 * - `approval_requests`: every request a workflow opened, with the policy it was judged by
 *   (a copy: a later policy change does not rewrite history), its stage and outcome.
 * - `approval_decisions`: every decision taken on it, one per person and request.
 * - `approval_notifications`: which mails went out (opened, escalated, decided) per stage, so
 *   a retried activity does not send them twice.
 * - `approval_policies`: policies as data, per tenant and environment ('' for the tenant's default).
 * - `approval_group_members`: the named groups a policy may ask for.
 * - `approval_signing_keys`: the public keys the API signs approval assertions with (platform
 *   data, public by nature; the private keys never leave the API process's memory).
 *
 * Tenant-owned tables carry a non-null tenant_id under row-level security. Requests and
 * decisions are never deleted by the application role (a simulation reads them back).
 */
export class CreateApprovals1764200000000 implements MigrationInterface {
  name = 'CreateApprovals1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE approval_requests (
        id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        workflow_id text NOT NULL,
        subject_kind text NOT NULL,
        subject_id text NOT NULL,
        subject_label text NOT NULL,
        requester_id uuid REFERENCES users (id) ON DELETE SET NULL,
        attributes jsonb NOT NULL,
        policy jsonb NOT NULL,
        rule text NOT NULL,
        stage integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        reason text,
        decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX approval_requests_tenant_idx ON approval_requests (tenant_id, created_at)`);
    await queryRunner.query(
      `CREATE INDEX approval_requests_pending_idx ON approval_requests (created_at) WHERE status = 'pending'`,
    );
    await queryRunner.query(`
      CREATE TABLE approval_decisions (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        request_id text NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
        comment text,
        stage integer NOT NULL,
        api_request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (request_id, user_id)
      )`);
    await queryRunner.query(`CREATE INDEX approval_decisions_tenant_idx ON approval_decisions (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE approval_notifications (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        request_id text NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
        event text NOT NULL CHECK (event IN ('opened', 'escalated', 'decided')),
        stage integer NOT NULL,
        recipients text[] NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (request_id, event, stage)
      )`);
    await queryRunner.query(`CREATE INDEX approval_notifications_tenant_idx ON approval_notifications (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE approval_policies (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        environment text NOT NULL DEFAULT '',
        policy jsonb NOT NULL,
        updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, environment)
      )`);
    await queryRunner.query(`
      CREATE TABLE approval_group_members (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        group_name text NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (tenant_id, group_name, user_id)
      )`);
    for (const table of [
      'approval_requests',
      'approval_decisions',
      'approval_notifications',
      'approval_policies',
      'approval_group_members',
    ]) {
      await queryRunner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`
        CREATE POLICY ${table}_tenant_isolation ON ${table} TO atrium_app
        USING (
          current_setting('atrium.scope', true) = 'platform'
          OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
        )
        WITH CHECK (
          current_setting('atrium.scope', true) = 'platform'
          OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
        )`);
    }
    await queryRunner.query(
      `GRANT SELECT, INSERT ON approval_requests, approval_decisions, approval_notifications TO atrium_app`,
    );
    await queryRunner.query(
      `GRANT UPDATE (stage, status, reason, decided_by, expires_at, closed_at) ON approval_requests TO atrium_app`,
    );
    await queryRunner.query(`GRANT USAGE ON SEQUENCE approval_decisions_id_seq TO atrium_app`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON approval_policies, approval_group_members TO atrium_app`,
    );
    await queryRunner.query(`
      CREATE TABLE approval_signing_keys (
        kid text PRIMARY KEY,
        public_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        not_after timestamptz
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON approval_signing_keys TO atrium_app`);
    await queryRunner.query(`GRANT UPDATE (not_after) ON approval_signing_keys TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE approval_signing_keys`);
    await queryRunner.query(`DROP TABLE approval_group_members`);
    await queryRunner.query(`DROP TABLE approval_policies`);
    await queryRunner.query(`DROP TABLE approval_notifications`);
    await queryRunner.query(`DROP TABLE approval_decisions`);
    await queryRunner.query(`DROP TABLE approval_requests`);
  }
}
