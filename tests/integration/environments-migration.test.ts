// The adoption step of migration 1765300000000 (CreateTenantEnvironments) on a real database:
// each tenant that is neither failed nor offboarded gets an environment per namespace
// provisioning recorded for it, in the order it made them; a tenant with none recorded (no
// cluster was configured) gets `production`; namespaces that are not the tenant's are ignored.
// Run by taking the migration down and up again on a migrated test database.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { CreateTenantEnvironments1765300000000 } from '../../db/migrations/1765300000000-CreateTenantEnvironments.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

describe('migration CreateTenantEnvironments', () => {
  let database: TestDatabase;
  let owner: DataSource;
  before(async () => {
    database = await createTestDatabase();
    owner = createDataSource({ url: database.ownerUrl, applicationName: 'atrium-test-migration', poolSize: 1 });
    await owner.initialize();
  });
  after(async () => {
    await owner?.destroy();
    await database?.drop();
  });

  it("adopts each live tenant's recorded namespaces in order, or production", async () => {
    const migration = new CreateTenantEnvironments1765300000000();
    const runner = owner.createQueryRunner();
    const tenant = async (slug: string, status: string, namespaces: string[] | null) => {
      const id = randomUUID();
      await runner.query(
        `INSERT INTO tenants (id, slug, name, plan, status, owner_email) VALUES ($1, $2, $2, 'team', $3, $4)`,
        [id, slug, status, `owner@${slug}.test`],
      );
      if (namespaces)
        await runner.query(`INSERT INTO tenant_resources (tenant_id, cluster_namespaces) VALUES ($1, $2)`, [
          id,
          namespaces,
        ]);
      return id;
    };
    try {
      await migration.down(runner);
      const ordered = await tenant('mig-ordered', 'active', [
        'tenant-mig-ordered-staging',
        'tenant-mig-ordered-dev',
        'tenant-mig-ordered-production',
        'tenant-someone-else-production',
      ]);
      const bare = await tenant('mig-bare', 'suspended', []);
      const missing = await tenant('mig-missing', 'pending', null);
      const failed = await tenant('mig-failed', 'failed', ['tenant-mig-failed-production']);
      const gone = await tenant('mig-gone', 'offboarded', []);
      await migration.up(runner);

      const rows = await database.query<{ tenant_id: string; name: string; position: number; status: string }>(
        `SELECT tenant_id, name, position, status FROM tenant_environments ORDER BY tenant_id, position`,
      );
      const of = (id: string) =>
        rows.filter((row) => row.tenant_id === id).map((row) => [row.name, row.position, row.status]);
      assert.deepEqual(of(ordered), [
        ['staging', 1, 'ready'],
        ['dev', 2, 'ready'],
        ['production', 3, 'ready'],
      ]);
      assert.deepEqual(of(bare), [['production', 1, 'ready']]);
      assert.deepEqual(of(missing), [['production', 1, 'ready']]);
      assert.deepEqual(of(failed), []);
      assert.deepEqual(of(gone), []);

      // Row-level security and grants like the other tenant tables: the app role may not delete.
      const [table] = await database.query<{ rls: boolean; deletable: boolean; insertable: boolean }>(
        `SELECT c.relrowsecurity AS rls,
                has_table_privilege('atrium_app', 'tenant_environments', 'DELETE') AS deletable,
                has_table_privilege('atrium_app', 'tenant_environments', 'INSERT') AS insertable
           FROM pg_class c WHERE c.relname = 'tenant_environments'`,
      );
      assert.deepEqual(table, { rls: true, deletable: false, insertable: true });
    } finally {
      await runner.release();
    }
  });
});
