// The platform admin `npm start` seeds (db/seed-admin.ts) on a real, migrated database: its
// address counts as confirmed (the profile showed "not confirmed" before), an admin seeded
// by an earlier version is confirmed at the next start, an account that is no platform
// admin is left alone, and a second start changes and audits nothing. The seeded admin is an
// operator with write access to the Temporal UI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { seedPlatformAdmin } from '../../db/seed-admin.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

describe('seeding the platform admin', () => {
  let database: TestDatabase;
  let owner: DataSource;
  before(async () => {
    database = await createTestDatabase();
    owner = createDataSource({ url: database.ownerUrl, applicationName: 'atrium-test-seed', poolSize: 1 });
    await owner.initialize();
  });
  after(async () => {
    await owner?.destroy();
    await database?.drop();
  });

  const userRow = async (email: string) =>
    (
      await database.query<{
        id: string;
        email_verified_at: Date | null;
        is_platform_admin: boolean;
        operator_role: string | null;
      }>(`SELECT id, email_verified_at, is_platform_admin, operator_role FROM users WHERE lower(email) = lower($1)`, [
        email,
      ])
    )[0];
  const auditActions = async (userId: string) =>
    (
      await database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE tenant_id IS NULL AND target_id = $1 ORDER BY id`,
        [userId],
      )
    ).map((row) => row.action);
  const seed = (email: string) =>
    seedPlatformAdmin(owner, { email, displayName: 'Platform admin', password: 'seed-password-1234' });

  it('creates the admin with a confirmed address, once', async () => {
    assert.equal(await seed('admin@seed.test'), true);
    const admin = await userRow('admin@seed.test');
    assert.ok(admin?.is_platform_admin);
    assert.ok(admin.email_verified_at, 'the seeded address is confirmed');
    assert.equal(admin.operator_role, 'write', 'and an operator: the Temporal UI at /ops/temporal/ opens for them');
    assert.deepEqual(await auditActions(admin.id), ['user.created']);

    assert.equal(await seed('admin@seed.test'), false, 'a second start creates nothing');
    assert.deepEqual(await userRow('admin@seed.test'), admin, 'and changes nothing');
    assert.deepEqual(await auditActions(admin.id), ['user.created'], 'nor audits anything');
  });

  it('confirms an admin seeded before seeds were confirmed', async () => {
    const id = await createUserIfAbsent(owner, {
      email: 'Old-Admin@seed.test',
      displayName: 'Platform admin',
      password: 'seed-password-1234',
      isPlatformAdmin: true,
    });
    assert.ok(id);
    assert.equal((await userRow('old-admin@seed.test'))?.email_verified_at, null);
    assert.equal(await seed('old-admin@seed.test'), false);
    assert.ok((await userRow('old-admin@seed.test'))?.email_verified_at, 'confirmed at the next start');
    assert.deepEqual(await auditActions(id), ['user.email_verified']);
  });

  it('leaves an account that is no platform admin as it is', async () => {
    const id = await createUserIfAbsent(owner, {
      email: 'someone@seed.test',
      displayName: 'Someone',
      password: 'seed-password-1234',
    });
    assert.ok(id);
    assert.equal(await seed('someone@seed.test'), false);
    const row = await userRow('someone@seed.test');
    assert.equal(row?.email_verified_at, null);
    assert.equal(row?.is_platform_admin, false);
    assert.deepEqual(await auditActions(id), []);
    const [{ problems }] = (await database.query<{ problems: string }>(
      `SELECT count(*)::text AS problems FROM audit_log_verify()`,
    )) as [{ problems: string }];
    assert.equal(problems, '0', 'the platform audit chain still verifies');
  });
});
