import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event outbox: every event Atrium emits to a tenant (contracts/events.ts), written in
 * the same transaction as the change it reports, so an event exists exactly when its change
 * committed. Tenant-owned under row-level security. The id orders a tenant's events: it is
 * drawn under the tenant's audit-chain lock (emitEvent takes it first), which is held until
 * commit, so a tenant's events commit in id order and a reader never sees a smaller id
 * commit after a larger one. `dispatched_at` is set once the event was handed to delivery.
 * The application role may read, insert and mark rows, never delete them.
 */
export class CreateEventOutbox1763920000000 implements MigrationInterface {
  name = 'CreateEventOutbox1763920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event_outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        type text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
        version integer NOT NULL CHECK (version > 0),
        payload jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX event_outbox_tenant_idx ON event_outbox (tenant_id, id)`);
    await queryRunner.query(`CREATE INDEX event_outbox_pending_idx ON event_outbox (id) WHERE dispatched_at IS NULL`);
    await queryRunner.query(`ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY event_outbox_tenant_isolation ON event_outbox TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE (dispatched_at) ON event_outbox TO atrium_app`);
    await queryRunner.query(`GRANT USAGE ON SEQUENCE event_outbox_id_seq TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_outbox`);
  }
}
