import type { MigrationInterface, QueryRunner } from 'typeorm';

const OPEN = `'requested', 'awaiting-approval', 'held', 'deploying'`;
const CLOSED = `'succeeded', 'rolled-back', 'failed', 'rejected'`;

/**
 * A promotion may be `held` (docs/decisions/0024): started and approved, waiting before it
 * deploys for a freeze window to end, the soak time in the previous environment to pass, or its
 * suspended tenant to be reactivated. A held promotion is open: it still keeps the environment's
 * one open slot.
 */
export class HoldPromotions1765350000000 implements MigrationInterface {
  name = 'HoldPromotions1765350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE promotions DROP CONSTRAINT promotions_status_check`);
    await queryRunner.query(
      `ALTER TABLE promotions ADD CONSTRAINT promotions_status_check CHECK (status IN (${OPEN}, ${CLOSED}))`,
    );
    await queryRunner.query(`DROP INDEX promotions_one_open_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX promotions_one_open_idx ON promotions (tenant_id, environment) WHERE status IN (${OPEN})`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE promotions SET status = 'deploying' WHERE status = 'held'`);
    await queryRunner.query(`ALTER TABLE promotions DROP CONSTRAINT promotions_status_check`);
    await queryRunner.query(
      `ALTER TABLE promotions ADD CONSTRAINT promotions_status_check CHECK (status IN ('requested', 'awaiting-approval', 'deploying', ${CLOSED}))`,
    );
    await queryRunner.query(`DROP INDEX promotions_one_open_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX promotions_one_open_idx ON promotions (tenant_id, environment)
       WHERE status IN ('requested', 'awaiting-approval', 'deploying')`,
    );
  }
}
