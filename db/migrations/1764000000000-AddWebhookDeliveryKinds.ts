import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log also records replays and test sends, told apart by `kind`: `delivery` (the
 * endpoint's sequencer), `replay` (a replay workflow, `replay_id` naming it) and `test` (the
 * test-send button). Attempts are numbered per event within a sequencer's delivery and within
 * each replay, so the unique attempt key becomes two partial indexes; "delivered once" (which
 * the sequencer reads to skip an event it delivered) counts the sequencer's own attempts only,
 * so a replay never makes the sequencer skip or reorder an event.
 */
export class AddWebhookDeliveryKinds1764000000000 implements MigrationInterface {
  name = 'AddWebhookDeliveryKinds1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN kind text NOT NULL DEFAULT 'delivery' CHECK (kind IN ('delivery', 'replay', 'test')),
        ADD COLUMN replay_id uuid,
        ADD CONSTRAINT webhook_deliveries_replay_named CHECK ((kind = 'replay') = (replay_id IS NOT NULL))`);
    await queryRunner.query(
      `ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_attempt_key`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_attempt_idx ON webhook_deliveries (endpoint_id, event_id, attempt)
       WHERE replay_id IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_replay_attempt_idx ON webhook_deliveries (replay_id, event_id, attempt)
       WHERE replay_id IS NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX webhook_deliveries_delivered_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (endpoint_id, event_id)
       WHERE outcome = 'delivered' AND kind = 'delivery'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM webhook_deliveries WHERE kind <> 'delivery'`);
    await queryRunner.query(`DROP INDEX webhook_deliveries_delivered_idx`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_deliveries_delivered_idx ON webhook_deliveries (endpoint_id, event_id) WHERE outcome = 'delivered'`,
    );
    await queryRunner.query(`DROP INDEX webhook_deliveries_replay_attempt_idx`);
    await queryRunner.query(`DROP INDEX webhook_deliveries_attempt_idx`);
    await queryRunner.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT webhook_deliveries_replay_named,
        DROP COLUMN replay_id,
        DROP COLUMN kind,
        ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_attempt_key UNIQUE (endpoint_id, event_id, attempt)`);
  }
}
