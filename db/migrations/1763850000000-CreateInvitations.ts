import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations to join a tenant with a role: mailed as a link with a single-use token
 * (stored hashed), expiring, revocable. Tenant-owned under row-level security; accepting
 * happens before the invitee is a member, so that one lookup goes by token hash in the
 * platform scope (api/routes/invitations.ts).
 */
export class CreateInvitations1763850000000 implements MigrationInterface {
  name = 'CreateInvitations1763850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        email text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
        token_hash bytea NOT NULL UNIQUE,
        invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
        revoked_at timestamptz
      )`);
    // One pending invitation per address and tenant: inviting again replaces it.
    await queryRunner.query(`
      CREATE UNIQUE INDEX invitations_pending_idx ON invitations (tenant_id, lower(email))
      WHERE accepted_at IS NULL AND revoked_at IS NULL`);
    await queryRunner.query(`ALTER TABLE invitations ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY invitations_tenant_isolation ON invitations TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON invitations TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE invitations`);
  }
}
