import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events read by time: the reconciliation's aggregation of a tenant's closed windows, the
 * usage summaries and the retention all ask for one tenant's events in a range of
 * `occurred_at` (every meter at once). The index on (tenant_id, meter, occurred_at) could not
 * bound that range without a meter, and every matching row was fetched from the heap, where a
 * tenant's events lie scattered among every other tenant's: each tenant's aggregation read
 * about as many pages as the whole table. This index bounds the range and carries meter and
 * quantity, so the aggregation is an index-only scan; autovacuum visits the table after fewer
 * inserts (2% instead of 20%) so that the visibility map, which index-only scans need, keeps up
 * with an append-only table.
 */
export class IndexUsageEventsByTime1765510000000 implements MigrationInterface {
  name = 'IndexUsageEventsByTime1765510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX usage_events_time_idx ON usage_events (tenant_id, occurred_at) INCLUDE (meter, quantity)`,
    );
    await queryRunner.query(`DROP INDEX usage_events_summary_idx`);
    await queryRunner.query(`ALTER TABLE usage_events SET (autovacuum_vacuum_insert_scale_factor = 0.02)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE usage_events RESET (autovacuum_vacuum_insert_scale_factor)`);
    await queryRunner.query(`CREATE INDEX usage_events_summary_idx ON usage_events (tenant_id, meter, occurred_at)`);
    await queryRunner.query(`DROP INDEX usage_events_time_idx`);
  }
}
