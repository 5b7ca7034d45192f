import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The role the API and worker act as. It owns nothing, cannot bypass row-level security,
 * and cannot log in: deployments log in as their own role that is a member of it (see
 * db/runtime-role.ts). Roles are cluster-wide, so it is created only when absent.
 */
export class CreateAppRole1763780000000 implements MigrationInterface {
  name = 'CreateAppRole1763780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atrium_app') THEN
          CREATE ROLE atrium_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        END IF;
      EXCEPTION WHEN duplicate_object THEN
        NULL; -- created concurrently by another database's migration
      END $$`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO atrium_app`);
    // Provisioning creates and drops each tenant's schema.
    await queryRunner.query(
      `DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO atrium_app', current_database()); END $$`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, idempotency_keys, users TO atrium_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE ALL ON tenants, idempotency_keys, users FROM atrium_app`);
    await queryRunner.query(
      `DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM atrium_app', current_database()); END $$`,
    );
    await queryRunner.query(`REVOKE USAGE ON SCHEMA public FROM atrium_app`);
  }
}
