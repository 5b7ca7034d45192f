// rotateDatabaseLogin's activities (docs/decisions/0032), called directly on the embedded
// adapters, each run twice as a retry would: the second run finds what the first did and
// changes, audits and emits nothing more; a second rotation of the same tenant is refused
// while one is open; the bystander is untouched. (Passwords themselves are proven on a
// scram-sha-256 cluster in tests/integration/database-login-rotation.test.ts: the machine's
// server trusts local logins.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createSecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';

describe('database login rotation activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof createSecretRotationActivities>;
  let t: TestTenant;
  let schema: string;
  let ref: ReturnType<ActivityHarness['ref']> & { rotationId: string };

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-dbl' });
    a = createSecretRotationActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    schema = `tenant_${t.slug.replaceAll('-', '_')}`;
    ref = { ...h.ref(t), rotationId: 'rot-1' };
  });
  after(async () => {
    await h?.stop();
  });

  const actions = async (action: string) =>
    (
      await h.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action = $2`,
        [t.tenantId, action],
      )
    )[0]!.n;
  const entry = () => h.deps.secretStore.read(`tenants/${t.slug}/database`);
  const canLogin = async (role: string) =>
    (
      await h.database.query<{ rolcanlogin: boolean }>(`SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, [role])
    )[0]!.rolcanlogin;

  it('runs in workflow order, each step twice, and ends on the other login', async () => {
    const first = (await h.run(a, 'prepareDatabaseLoginRotation', ref)).result;
    const again = (await h.run(a, 'prepareDatabaseLoginRotation', ref)).result;
    assert.deepEqual(first, { fromLogin: `${schema}_login`, toLogin: `${schema}_login_b`, fromVersion: 1 });
    assert.deepEqual(again, first);
    assert.equal(await actions('tenant.database_login_rotation_started'), 1);
    const refused = await h.failure(a, 'prepareDatabaseLoginRotation', { ...ref, rotationId: 'rot-other' });
    assert.ok(refused instanceof ApplicationFailure && /rot-1 .* still open/.test(refused.message));

    for (let i = 0; i < 2; i += 1) await h.run(a, 'setIdleLoginPassword', ref);
    assert.equal(await canLogin(`${schema}_login_b`), true);
    assert.equal(await actions('tenant.database_login_password_set'), 1);

    for (let i = 0; i < 2; i += 1) await h.run(a, 'updateDatabaseLoginConsumers', ref);
    const updated = await entry();
    assert.deepEqual([updated?.version, updated?.data.username], [2, `${schema}_login_b`]);
    assert.equal(await actions('tenant.database_login_consumers_updated'), 1);

    for (let i = 0; i < 2; i += 1) {
      const verified = (await h.run(a, 'verifyDatabaseLoginConsumers', ref)).result;
      assert.equal(verified.ok, true, verified.message);
    }
    assert.equal(await actions('tenant.database_login_consumers_verified'), 1);

    for (let i = 0; i < 2; i += 1)
      await h.run(a, 'switchDatabaseLogin', { ...ref, overlapMs: 1_000, verified: ['secret-store'] });
    assert.equal(await actions('tenant.database_login_switched'), 1);
    const events = await h.database.query(
      `SELECT 1 FROM event_outbox WHERE tenant_id = $1 AND type = 'database_login.rotated'`,
      [t.tenantId],
    );
    assert.equal(events.length, 1);
    const [resources] = await h.database.query<{ database_role: string }>(
      `SELECT database_role FROM tenant_resources WHERE tenant_id = $1`,
      [t.tenantId],
    );
    assert.equal(resources!.database_role, `${schema}_login_b`);

    assert.deepEqual((await h.run(a, 'retireOldDatabaseLogin', ref)).result, { disabled: `${schema}_login` });
    assert.deepEqual((await h.run(a, 'retireOldDatabaseLogin', ref)).result, { disabled: null });
    assert.equal(await canLogin(`${schema}_login`), false);
    assert.equal(await actions('tenant.database_login_disabled'), 1);
    assert.equal(await h.deps.secretStore.read(`tenants/${t.slug}/database-rotation`), null);

    const audit = JSON.stringify(await h.database.query(`SELECT * FROM audit_log WHERE tenant_id = $1`, [t.tenantId]));
    assert.ok(!audit.includes((await entry())!.data.password!), 'no password in the audit log');
    await h.assertBystanderUntouched();
  });

  it('the next rotation goes back to login A; a roll-back after the update restores the entry, once', async () => {
    const next = { ...ref, rotationId: 'rot-2' };
    const plan = (await h.run(a, 'prepareDatabaseLoginRotation', next)).result;
    assert.deepEqual([plan.fromLogin, plan.toLogin], [`${schema}_login_b`, `${schema}_login`]);
    await h.run(a, 'setIdleLoginPassword', next);
    const before = await entry();
    await h.run(a, 'updateDatabaseLoginConsumers', next);
    assert.equal((await entry())!.data.username, `${schema}_login`);
    for (let i = 0; i < 2; i += 1) {
      const rolled = (await h.run(a, 'rollBackDatabaseLoginRotation', { ...next, reason: 'a consumer refused' }))
        .result;
      assert.deepEqual(rolled, { currentLogin: `${schema}_login_b` });
    }
    const restored = await entry();
    assert.deepEqual(
      [restored!.data.username, restored!.data.password === before!.data.password],
      [`${schema}_login_b`, true],
    );
    assert.equal(await canLogin(`${schema}_login`), false, 'the new login is disabled again');
    assert.equal(await canLogin(`${schema}_login_b`), true, 'the login in use still works');
    assert.equal(await actions('tenant.database_login_rotation_rolled_back'), 1);
    // Mailed once (the owner here is only invited, so nobody to mail: the integration test mails one).
    assert.equal(await actions('tenant.database_login_rotation_mailed'), 1);
  });
});
