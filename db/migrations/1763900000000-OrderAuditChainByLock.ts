import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit entries of one chain written at the same moment could be linked out of id order:
 * the id was drawn (column default) before the trigger took the chain's lock, so an entry
 * with a smaller id could be chained after one with a larger id, and audit_log_verify(),
 * which follows ids, reported a broken link that was none. The trigger now draws the id
 * after taking the lock, so within a chain id order is chaining order.
 */
export class OrderAuditChainByLock1763900000000 implements MigrationInterface {
  name = 'OrderAuditChainByLock1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('atrium:audit:' || coalesce(NEW.tenant_id::text, 'platform'), 0));
        NEW.id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
        SELECT hash INTO NEW.prev_hash FROM audit_log
          WHERE tenant_id IS NOT DISTINCT FROM NEW.tenant_id
          ORDER BY id DESC LIMIT 1;
        NEW.occurred_at := date_trunc('microseconds', NEW.occurred_at);
        NEW.hash := audit_log_entry_hash(NEW, NEW.prev_hash);
        RETURN NEW;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
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
  }
}
