// The secret-rotation activities, called directly on the embedded adapters (local secret store,
// SMTP capture) with real consumers on loopback: a scheduled rotation of a generated secret in
// workflow order — claim, prepare, create, update, verify, switch, retire — then one whose
// verify is refused, rolled back; no claim while the tenant is suspended; each activity run twice (the second run changes nothing,
// audits and mails nothing) with the bystander untouched.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import type { RotationConsumers } from '../support/rotation-consumer.ts';
import { startRotationConsumers } from '../support/rotation-consumer.ts';

describe('secret-rotation activities', () => {
  let h: ActivityHarness;
  let consumers: RotationConsumers;
  let a: ReturnType<typeof createSecretRotationActivities>;
  let t: TestTenant;
  let closeOutbound: () => Promise<void>;
  const secretId = randomUUID();
  const retention = 3_600_000;

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-rot' });
    consumers = await startRotationConsumers();
    // The consumers run on loopback: this family's outbound client may reach them.
    const outbound = createOutboundClient(createOutboundGuard({ allowLoopback: true }));
    closeOutbound = () => outbound.close();
    a = createSecretRotationActivities({ ...h.deps, outbound: outbound.fetch });
    t = h.newTenant({ plan: 'team' });
    await h.provision(t);
    // An owner with an address: who rotation alerts are mailed to.
    await h.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      t.tenantId,
      h.admin.id!,
    ]);
    const path = `tenants/${t.slug}/secrets/${secretId}`;
    const { version } = await h.deps.secretStore.write(path, { value: 'first-value-of-the-activity-test' });
    await h.database.query(
      `INSERT INTO tenant_secrets (id, tenant_id, name, kind, environment, store_path, current_version, consumers,
         rotation_every_seconds, rotation_every, rotation_settings)
       VALUES ($1, $2, 'TOKEN', 'generic', 'production', $3, 1, $4, 3600, '1h', $5)`,
      [
        secretId,
        t.tenantId,
        path,
        ['web'],
        JSON.stringify({ verifyHooks: { web: consumers.url('act-web') }, overlapMs: 1_000 }),
      ],
    );
    await h.database.query(
      `INSERT INTO tenant_secret_versions (secret_id, version, tenant_id, store_version) VALUES ($1, 1, $2, $3)`,
      [secretId, t.tenantId, version],
    );
  });
  after(async () => {
    await closeOutbound?.();
    await consumers?.stop();
    await h?.stop();
  });

  const claim = () => ({ tenantId: t.tenantId, slug: t.slug, secretId });
  const ref = (number: number) => ({ ...h.ref(t), secretId, number, versionRetentionMs: retention });
  const rotation = async (number: number): Promise<any> =>
    (
      await h.database.query(`SELECT * FROM secret_rotations WHERE secret_id = $1 AND number = $2`, [secretId, number])
    )[0];
  const currentVersion = async (): Promise<number> =>
    (
      await h.database.query<{ current_version: number }>(`SELECT current_version FROM tenant_secrets WHERE id = $1`, [
        secretId,
      ])
    )[0]!.current_version;

  it('rotates in workflow order, each step twice, the second changing nothing', async () => {
    const claimed = await h.twice(a, 'claimScheduledRotation', claim(), { tenant: t });
    assert.equal(claimed.result.number, 1);
    assert.deepEqual(claimed.audit, ['secret.rotation_started']);
    const plan = await h.twice(a, 'prepareRotation', ref(1), { tenant: t });
    assert.equal(plan.result.strategy, 'generated');
    assert.equal(plan.result.overlapMs, 1_000);
    const created = await h.twice(a, 'createRotationVersion', ref(1), { tenant: t });
    assert.equal(created.result.toVersion, 2);
    assert.equal(await currentVersion(), 1, 'the new version is not current yet');
    const updated = await h.twice(a, 'updateRotationConsumers', { ...ref(1), toVersion: 2 }, { tenant: t });
    assert.equal(updated.result.ok, true);
    const verified = await h.twice(a, 'verifyRotationConsumers', { ...ref(1), toVersion: 2 }, { tenant: t });
    assert.equal(verified.result.ok, true);
    assert.deepEqual(verified.audit, ['secret.rotation_consumers_verified']);
    const switched = await h.twice(
      a,
      'switchRotationVersion',
      { ...ref(1), toVersion: 2, overlapMs: 1_000 },
      { tenant: t },
    );
    assert.deepEqual(switched.audit, ['secret.rotation_switched']);
    assert.equal(switched.after.event_outbox.at(-1).type, 'secret.rotated');
    await h.twice(a, 'retireOldVersion', { ...ref(1), toVersion: 2 }, { tenant: t });
    const done = await rotation(1);
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      done.report.map((entry: any) => entry.outcome),
      ['verified'],
    );
    assert.deepEqual(
      consumers.state('act-web').calls.map((call) => call.phase),
      ['update', 'update', 'verify', 'verify'],
      'each hook call was repeated by the second run, and nothing else',
    );
  });

  it('rolls back a refused verify once: the old version current again, one alert mail', async () => {
    consumers.state('act-web').refuseVerify = true;
    const claimed = await h.run(a, 'claimScheduledRotation', claim());
    assert.equal(claimed.result.number, 2);
    await h.run(a, 'prepareRotation', ref(2));
    const { result } = await h.run(a, 'createRotationVersion', ref(2));
    await h.run(a, 'updateRotationConsumers', { ...ref(2), toVersion: result.toVersion });
    const verified = await h.run(a, 'verifyRotationConsumers', { ...ref(2), toVersion: result.toVersion });
    assert.equal(verified.result.ok, false);
    const mailsBefore = h.smtp.mails.length;
    const rolled = await h.twice(
      a,
      'rollBackRotation',
      { ...ref(2), toVersion: result.toVersion, reason: verified.result.message },
      { tenant: t },
    );
    assert.deepEqual(rolled.audit, ['secret.rotation_rolled_back', 'secret.rotation_mailed']);
    assert.equal(h.smtp.mails.length - mailsBefore, 1, 'one mail, though the activity ran twice');
    assert.equal(await currentVersion(), 2, 'the old version is current');
    const [abandoned] = await h.database.query<{ abandoned_at: Date | null }>(
      `SELECT abandoned_at FROM tenant_secret_versions WHERE secret_id = $1 AND version = $2`,
      [secretId, result.toVersion],
    );
    assert.ok(abandoned?.abandoned_at);
    assert.equal((await rotation(2)).status, 'rolled_back');
  });

  it('claims nothing while the tenant is suspended, or while a rotation is open', async () => {
    await h.database.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [t.tenantId]);
    const suspended = await h.twice(a, 'claimScheduledRotation', claim(), { tenant: t });
    assert.deepEqual([suspended.result.number, suspended.result.skipped], [null, 'The tenant is suspended.']);
    assert.deepEqual(suspended.audit, []);
    await h.database.query(`UPDATE tenants SET status = 'active' WHERE id = $1`, [t.tenantId]);
    await h.database.query(`UPDATE secret_rotations SET status = 'overlap' WHERE secret_id = $1 AND number = 2`, [
      secretId,
    ]);
    const open = await h.run(a, 'claimScheduledRotation', claim());
    assert.deepEqual([open.result.number, open.result.skipped], [null, 'Rotation 2 is still overlap.']);
    await h.database.query(`UPDATE secret_rotations SET status = 'rolled_back' WHERE secret_id = $1 AND number = 2`, [
      secretId,
    ]);
  });

  it('leaves the bystander untouched', async () => {
    await h.assertBystanderUntouched();
  });
});
