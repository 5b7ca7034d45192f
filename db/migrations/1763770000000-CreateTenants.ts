import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTenants1763770000000 implements MigrationInterface {
  name = 'CreateTenants1763770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        plan text NOT NULL CHECK (plan IN ('free', 'team', 'enterprise')),
        status text NOT NULL CHECK (status IN ('pending', 'active', 'failed')),
        owner_email text NOT NULL,
        schema_name text UNIQUE,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX tenants_status_idx ON tenants (status)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
