import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A suspension pauses the tenant's Temporal Schedules (connector syncs, secret rotations) and its
 * reactivation resumes exactly those: `paused_schedules` lists the ids the suspension paused
 * (null until that step ran). Schedules a member had paused before are not in it, so they stay
 * paused after the reactivation.
 */
export class AddSuspensionPausedSchedules1765210000000 implements MigrationInterface {
  name = 'AddSuspensionPausedSchedules1765210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_suspensions ADD COLUMN paused_schedules text[]`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE tenant_suspensions DROP COLUMN paused_schedules`);
  }
}
