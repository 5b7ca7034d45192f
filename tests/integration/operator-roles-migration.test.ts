// The data step of migration 1764700000000 (AddOperatorRoles) on a real database: the platform
// admins of the time become operators with write (they had the unguarded Temporal UI), each
// grant audited by the platform on the platform chain; everyone else gets no role. Run by
// taking the migration down and up again on a migrated test database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { AddOperatorRoles1764700000000 } from '../../db/migrations/1764700000000-AddOperatorRoles.ts';
import { verifyAuditChain } from '../../db/repositories/audit-log.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

describe('migration AddOperatorRoles', () => {
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

  it('makes the platform admins of the time operators with write, audited, and nobody else', async () => {
    const migration = new AddOperatorRoles1764700000000();
    const runner = owner.createQueryRunner();
    try {
      await migration.down(runner);
      // Inserted the way the users of that time were: without the column, which is gone now.
      const adminId = (await runner.query(
        `INSERT INTO users (email, display_name, password_hash, is_platform_admin) VALUES ('admin@mig.test', 'A', 'x', true) RETURNING id`,
      )) as Array<{ id: string }>;
      const memberId = (await runner.query(
        `INSERT INTO users (email, display_name, password_hash, is_platform_admin) VALUES ('member@mig.test', 'M', 'x', false) RETURNING id`,
      )) as Array<{ id: string }>;
      await migration.up(runner);

      const roles = await database.query<{ email: string; operator_role: string | null }>(
        `SELECT email, operator_role FROM users WHERE email LIKE '%@mig.test' ORDER BY email`,
      );
      assert.deepEqual(roles, [
        { email: 'admin@mig.test', operator_role: 'write' },
        { email: 'member@mig.test', operator_role: null },
      ]);
      const audited = await database.query<{ actor_type: string; target_id: string; before: unknown; after: unknown }>(
        `SELECT actor_type, target_id, before, after FROM audit_log WHERE action = 'user.operator_role_changed'`,
      );
      assert.deepEqual(audited, [
        {
          actor_type: 'system',
          target_id: adminId[0]!.id,
          before: { operatorRole: null },
          after: { operatorRole: 'write', migration: 'AddOperatorRoles' },
        },
      ]);
      assert.ok(!audited.some((row) => row.target_id === memberId[0]!.id));
      assert.deepEqual(await verifyAuditChain(runner.manager), [], 'the audit chain holds');
    } finally {
      await runner.release();
    }
  });
});
