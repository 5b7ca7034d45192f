import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delegation while someone is away (docs/decisions/0020-approval-policy-editing.md):
 *
 * - `approval_delegations`: a person of a tenant names a delegate (a member of the same
 *   tenant) and a period; while it applies the delegate may decide in place of the absent
 *   person where the absent person would be an approver. Ended early by setting `revoked_at`.
 * - `approval_decisions.on_behalf_of`: whom a decision was taken for (null: in person).
 *
 * Tenant-owned under row-level security, like every approval table.
 */
export class CreateApprovalDelegations1765310000000 implements MigrationInterface {
  name = 'CreateApprovalDelegations1765310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE approval_delegations (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        delegate_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK (ends_at > starts_at),
        CHECK (delegate_id <> user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX approval_delegations_delegate_idx ON approval_delegations (tenant_id, delegate_id, ends_at)`,
    );
    await queryRunner.query(`CREATE INDEX approval_delegations_user_idx ON approval_delegations (tenant_id, user_id)`);
    await queryRunner.query(`ALTER TABLE approval_delegations ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY approval_delegations_tenant_isolation ON approval_delegations TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON approval_delegations TO atrium_app`);
    await queryRunner.query(`GRANT UPDATE (revoked_at) ON approval_delegations TO atrium_app`);
    await queryRunner.query(
      `ALTER TABLE approval_decisions ADD COLUMN on_behalf_of uuid REFERENCES users (id) ON DELETE SET NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE approval_decisions DROP COLUMN on_behalf_of`);
    await queryRunner.query(`DROP TABLE approval_delegations`);
  }
}
