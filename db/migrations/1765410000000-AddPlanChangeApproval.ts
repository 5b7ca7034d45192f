import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plan changes into a plan that needs a platform admin's approval (APPROVAL_PLANS) wait for it,
 * as provisioning on that plan does, so signing up cheaper and upgrading does not bypass it:
 *
 *   requested → awaiting-approval → requested (approved) → scheduled | applied …
 *                                 ↘ rejected (rejected, or no decision in time)
 *
 * A change awaiting approval is open: the one-open-change index counts it.
 */
export class AddPlanChangeApproval1765410000000 implements MigrationInterface {
  name = 'AddPlanChangeApproval1765410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE plan_changes DROP CONSTRAINT plan_changes_status_check`);
    await queryRunner.query(
      `ALTER TABLE plan_changes ADD CONSTRAINT plan_changes_status_check CHECK (status IN
         ('requested', 'awaiting-approval', 'scheduled', 'applied', 'refused', 'rejected', 'cancelled', 'failed'))`,
    );
    await queryRunner.query(`DROP INDEX plan_changes_one_open_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX plan_changes_one_open_idx ON plan_changes (tenant_id)
       WHERE status IN ('requested', 'awaiting-approval', 'scheduled')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE plan_changes SET status = 'refused' WHERE status = 'rejected'`);
    await queryRunner.query(`UPDATE plan_changes SET status = 'requested' WHERE status = 'awaiting-approval'`);
    await queryRunner.query(`DROP INDEX plan_changes_one_open_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX plan_changes_one_open_idx ON plan_changes (tenant_id)
       WHERE status IN ('requested', 'scheduled')`,
    );
    await queryRunner.query(`ALTER TABLE plan_changes DROP CONSTRAINT plan_changes_status_check`);
    await queryRunner.query(
      `ALTER TABLE plan_changes ADD CONSTRAINT plan_changes_status_check CHECK (status IN
         ('requested', 'scheduled', 'applied', 'refused', 'cancelled', 'failed'))`,
    );
  }
}
