import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log: append-only (the app role may only SELECT and INSERT, and a trigger
 * refuses UPDATE, DELETE and TRUNCATE for everyone), guarded by row-level security, and
 * hash-chained per tenant (and one chain for platform events) so that an edited or
 * removed entry is detected by audit_log_verify().
 */
export class CreateAuditLog1763780100000 implements MigrationInterface {
  name = 'CreateAuditLog1763780100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id uuid,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_type text NOT NULL CHECK (actor_type IN ('anonymous', 'user', 'api_key', 'system')),
        actor_id text,
        action text NOT NULL CHECK (action ~ '^[a-z_]+(\\.[a-z_]+)+$'),
        target_type text NOT NULL,
        target_id text,
        request_id text,
        ip inet,
        before jsonb,
        after jsonb,
        prev_hash bytea,
        hash bytea NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id)`);
    await queryRunner.query(`CREATE INDEX audit_log_action_idx ON audit_log (action, id)`);

    // The hashed text is built from every field in a fixed, session-independent form
    // (UTC timestamps, canonical jsonb), so verification gives the same answer anywhere.
    await queryRunner.query(`
      CREATE FUNCTION audit_log_entry_hash(entry audit_log, prev bytea) RETURNS bytea
      LANGUAGE sql IMMUTABLE AS $$
        SELECT sha256(convert_to(
          coalesce(encode(prev, 'hex'), '') || '|' || jsonb_build_object(
            'id', entry.id,
            'tenant_id', entry.tenant_id,
            'occurred_at', to_char(entry.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'actor_type', entry.actor_type,
            'actor_id', entry.actor_id,
            'action', entry.action,
            'target_type', entry.target_type,
            'target_id', entry.target_id,
            'request_id', entry.request_id,
            'ip', host(entry.ip),
            'before', entry.before,
            'after', entry.after
          )::text, 'UTF8'))
      $$`);

    // SECURITY DEFINER: the chain's previous entry may be invisible to the inserting
    // session under RLS. Entries of one chain are serialized by an advisory lock.
    await queryRunner.query(`
      CREATE FUNCTION audit_log_chain() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('atrium:audit:' || coalesce(NEW.tenant_id::text, 'platform'), 0));
        SELECT hash INTO NEW.prev_hash FROM audit_log
          WHERE tenant_id IS NOT DISTINCT FROM NEW.tenant_id
          ORDER BY id DESC LIMIT 1;
        NEW.occurred_at := date_trunc('microseconds', NEW.occurred_at);
        NEW.hash := audit_log_entry_hash(NEW, NEW.prev_hash);
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_chain()`);

    await queryRunner.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);

    // Verification: the first entry of each chain whose hash does not match its content,
    // or whose link to the previous entry is broken (an entry was removed).
    await queryRunner.query(`
      CREATE FUNCTION audit_log_verify() RETURNS TABLE (id bigint, tenant_id uuid, problem text)
      LANGUAGE sql STABLE AS $$
        WITH chained AS (
          SELECT a, lag(a.hash) OVER (PARTITION BY a.tenant_id ORDER BY a.id) AS expected_prev
          FROM audit_log a
        )
        SELECT (a).id, (a).tenant_id,
               CASE WHEN (a).prev_hash IS DISTINCT FROM expected_prev THEN 'broken link: an earlier entry was removed or altered'
                    ELSE 'content does not match its hash: the entry was edited' END
        FROM chained
        WHERE (a).prev_hash IS DISTINCT FROM expected_prev
           OR (a).hash <> audit_log_entry_hash(a, (a).prev_hash)
        ORDER BY (a).id
      $$`);

    // Tenants see their own entries; platform-scoped sessions (platform admins, the
    // provisioning of a new tenant) see and write all.
    await queryRunner.query(`ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`
      CREATE POLICY audit_log_tenant_isolation ON audit_log TO atrium_app
      USING (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )
      WITH CHECK (
        current_setting('atrium.scope', true) = 'platform'
        OR tenant_id = nullif(current_setting('atrium.tenant_id', true), '')::uuid
      )`);
    await queryRunner.query(`GRANT SELECT, INSERT ON audit_log TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_log`);
    await queryRunner.query(`DROP FUNCTION audit_log_verify()`);
    await queryRunner.query(`DROP FUNCTION audit_log_chain()`);
    await queryRunner.query(`DROP FUNCTION audit_log_refuse_change()`);
  }
}
