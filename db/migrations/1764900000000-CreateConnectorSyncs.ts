import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_POLICY = `
  USING (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )
  WITH CHECK (
    current_setting('atrium.scope', true) = 'platform'
    OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
  )`;

/**
 * Scheduled syncs of connections (issue 15, ADR 0014).
 *
 * - `connector_syncs`: what a connection pulls (a resource path on the provider's API base URL)
 *   and how often; its Temporal Schedule is `connector-sync/<slug>/<connection>/<sync>`.
 *   `paused` is the members' own pause; a connection that needs re-authorization pauses the
 *   schedule too without touching it, so reconnecting resumes only what nobody paused.
 * - `connector_sync_runs`: one row per run (the run's workflow ID): status, pages done, the next
 *   page's cursor and the counts. A page's records and the row's counts commit together, so a
 *   page done twice (a retried attempt) is counted once.
 * - `connector_records`: what the syncs fetched, one row per provider record id and sync, its
 *   JSON and a hash of it (unchanged records are not rewritten).
 * - `connector_connections`: the last sync's status, time and counts.
 * All tenant-owned, under row-level security.
 */
export class CreateConnectorSyncs1764900000000 implements MigrationInterface {
  name = 'CreateConnectorSyncs1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE connector_syncs (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        connection_id uuid NOT NULL REFERENCES connector_connections (id) ON DELETE CASCADE,
        name text NOT NULL,
        resource_path text NOT NULL CHECK (resource_path ~ '^/'),
        interval_seconds integer NOT NULL CHECK (interval_seconds >= 1),
        paused boolean NOT NULL DEFAULT false,
        schedule_id text NOT NULL UNIQUE,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_run_at timestamptz,
        last_status text CHECK (last_status IN ('succeeded', 'failed')),
        last_error text
      )`);
    await queryRunner.query(
      `CREATE INDEX connector_syncs_connection_idx ON connector_syncs (tenant_id, connection_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE connector_sync_runs (
        workflow_id text PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        sync_id uuid NOT NULL REFERENCES connector_syncs (id) ON DELETE CASCADE,
        connection_id uuid NOT NULL REFERENCES connector_connections (id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        pages integer NOT NULL DEFAULT 0,
        next_cursor text,
        fetched integer NOT NULL DEFAULT 0,
        created integer NOT NULL DEFAULT 0,
        updated integer NOT NULL DEFAULT 0,
        unchanged integer NOT NULL DEFAULT 0,
        error text,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX connector_sync_runs_sync_idx ON connector_sync_runs (tenant_id, sync_id, started_at DESC)`,
    );

    await queryRunner.query(`
      CREATE TABLE connector_records (
        sync_id uuid NOT NULL REFERENCES connector_syncs (id) ON DELETE CASCADE,
        provider_record_id text NOT NULL,
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        connection_id uuid NOT NULL REFERENCES connector_connections (id) ON DELETE CASCADE,
        data jsonb NOT NULL,
        data_hash text NOT NULL,
        first_run text NOT NULL,
        last_run text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sync_id, provider_record_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX connector_records_tenant_idx ON connector_records (tenant_id, connection_id)`,
    );

    await queryRunner.query(`
      ALTER TABLE connector_connections
        ADD COLUMN last_sync_at timestamptz,
        ADD COLUMN last_sync_status text CHECK (last_sync_status IN ('succeeded', 'failed')),
        ADD COLUMN last_sync_counts jsonb`);

    for (const table of ['connector_syncs', 'connector_sync_runs', 'connector_records']) {
      await queryRunner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`CREATE POLICY ${table}_tenant_isolation ON ${table} TO atrium_app ${TENANT_POLICY}`);
      await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO atrium_app`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE connector_connections DROP COLUMN last_sync_at, DROP COLUMN last_sync_status, DROP COLUMN last_sync_counts`);
    await queryRunner.query(`DROP TABLE connector_records`);
    await queryRunner.query(`DROP TABLE connector_sync_runs`);
    await queryRunner.query(`DROP TABLE connector_syncs`);
  }
}
