import type { MigrationInterface, QueryRunner } from 'typeorm';

/** GET /api/v1/tenants pages newest first by (created_at, id): an index in that order. */
export class IndexTenantsByCreation1763910000000 implements MigrationInterface {
  name = 'IndexTenantsByCreation1763910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX tenants_created_idx ON tenants (created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX tenants_created_idx`);
  }
}
