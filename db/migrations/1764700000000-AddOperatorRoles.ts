import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operators (issue 18): a platform role of its own, beside `is_platform_admin`. `read` may look
 * at every workflow in the Temporal UI behind Atrium (/ops/temporal/); `write` may also cancel,
 * terminate, signal, reset, … there. Null: no access to the UI.
 */
export class AddOperatorRoles1764700000000 implements MigrationInterface {
  name = 'AddOperatorRoles1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN operator_role text CHECK (operator_role IN ('read', 'write'))`,
    );
    // Until now the portal linked the (unguarded) Temporal UI for platform admins: they keep
    // that access as operators with write, so an upgrade takes nothing away from them.
    // Audited like any grant, on the platform chain, by the platform itself.
    await queryRunner.query(`
      WITH granted AS (UPDATE users SET operator_role = 'write' WHERE is_platform_admin RETURNING id)
      INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, before, after)
      SELECT NULL, 'system', NULL, 'user.operator_role_changed', 'user', id::text,
             '{"operatorRole": null}'::jsonb, '{"operatorRole": "write", "migration": "AddOperatorRoles"}'::jsonb
      FROM granted`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN operator_role`);
  }
}
