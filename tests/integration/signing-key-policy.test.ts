// Signing-key rotation policies (docs/decisions/0038): a platform admin sets an interval per
// keyring; its Temporal Schedule starts scheduledSigningKeyRotation, which runs rotateSigningKey.
// A short policy rotates the access-token keys twice on its Schedule; bad input (under the
// minimum, an unknown keyring, not a platform admin) changes nothing; removing the policy
// removes the Schedule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SigningKeyPolicies, SigningKeyPolicy } from '../../contracts/secret-rotation.ts';
import { request } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('signing-key rotation policy', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({
      env: {
        ACCESS_TOKEN_TTL: '3s',
        SIGNING_KEYS_RELOAD_INTERVAL: '500ms',
        SIGNING_KEY_DISTRIBUTION_TIMEOUT: '5s',
        JWKS_MAX_AGE: '1s',
        SIGNING_KEY_ROTATION_MINIMUM: '5s',
        LOGIN_RATE_LIMIT: '10000',
      },
    });
  });
  after(async () => {
    await platform?.stop();
  });

  // Tokens live 3 s here (so a rotation is short): sign in afresh for each call.
  const headersOf = async (user: TestUser) => {
    const answer = await request(platform.baseUrl, 'POST', '/api/v1/auth/login', {
      json: { email: user.email, password: user.password },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { authorization: `Bearer ${answer.body.accessToken as string}` };
  };
  const policies = async () => {
    const answer = await request<SigningKeyPolicies>(platform.baseUrl, 'GET', '/api/v1/admin/signing-keys/policies', {
      headers: await headersOf(platform.admin),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const put = async (purpose: string, body: unknown, user: TestUser = platform.admin) =>
    request<SigningKeyPolicy>(platform.baseUrl, 'PUT', '/api/v1/admin/signing-keys/policies', {
      headers: await headersOf(user),
      json: { purpose, ...(body as object) },
    });
  const removals = async () =>
    (
      await platform.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'signing_key.removed' AND after->>'purpose' = 'access-tokens'`,
      )
    )[0]!.n;

  it('refuses bad input and changes nothing', async () => {
    assert.deepEqual(
      (await policies()).policies.map((policy) => [policy.purpose, policy.everySeconds]),
      [
        ['access-tokens', null],
        ['licenses', null],
      ],
    );
    assert.equal((await policies()).minimumSeconds, 5);
    const short = await put('access-tokens', { everySeconds: 2 });
    assert.equal(short.status, 422, JSON.stringify(short.body));
    assert.equal((short.body as unknown as { errors: Array<{ path: string }> }).errors[0]!.path, 'everySeconds');
    const unknown = await put('jwt', { everySeconds: 60 });
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.equal((unknown.body as unknown as { errors: Array<{ path: string }> }).errors[0]!.path, 'purpose');
    const member = await seedUser(platform.database, { email: 'member@signing-key-policy.test' });
    assert.equal((await put('access-tokens', { everySeconds: 60 }, member)).status, 403);
    // Reads are the platform admins' too: a signed-in member sees neither the policies nor the keys.
    for (const path of ['/api/v1/admin/signing-keys/policies', '/api/v1/admin/signing-keys?purpose=licenses']) {
      const read = await request(platform.baseUrl, 'GET', path, { headers: member.headers });
      assert.equal(read.status, 403, `${path}: ${JSON.stringify(read.body)}`);
      assert.match(read.headers.get('content-type') ?? '', /application\/problem\+json/);
    }
    assert.equal((await policies()).policies[0]!.everySeconds, null);
    const changes = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'signing_key.policy_set'`,
    );
    assert.equal(changes[0]!.n, 0);
  });

  it('a short policy rotates the access-token keys twice on its Schedule', async () => {
    const set = await put('access-tokens', { everySeconds: 15 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.everySeconds, 15);
    assert.ok(set.body.nextRotations.length > 0);
    const scheduleId = `signing-key-rotation/${platform.taskQueue}/access-tokens`;

    const deadline = Date.now() + 150_000;
    while ((await removals()) < 2) {
      assert.ok(Date.now() < deadline, `two scheduled rotations within 150s (${await removals()} so far)`);
      await sleep(1_000);
    }
    const description = await platform.temporal.schedule.getHandle(scheduleId).describe();
    const runs = description.info.recentActions.map((action) => action.action.workflow.workflowId);
    assert.ok(runs.length >= 2, JSON.stringify(runs));
    const first = await platform.temporal.workflow.getHandle(runs[0]!).result();
    assert.equal(first.outcome, 'completed');
    // The keyring is whole after two rotations.
    const keys = await request(platform.baseUrl, 'GET', '/api/v1/admin/signing-keys', {
      headers: await headersOf(platform.admin),
    });
    assert.equal(keys.status, 200, JSON.stringify(keys.body));
    assert.ok((keys.body.keys as unknown[]).length >= 1);
    const switched = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'signing_key.switched' AND actor_type = 'system'`,
    );
    assert.ok(switched[0]!.n >= 2);
    await recordHistory(platform.temporal, runs[0]!, 'scheduled-signing-key-rotation-completed');

    const removed = await put('access-tokens', { everySeconds: null });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.nextRotations, []);
    await assert.rejects(platform.temporal.schedule.getHandle(scheduleId).describe());
    const audit = await platform.database.query<{ before: unknown; after: unknown }>(
      `SELECT before, after FROM audit_log WHERE action = 'signing_key.policy_set' ORDER BY id`,
    );
    assert.deepEqual(
      audit.map((row) => [row.before, row.after]),
      [
        [{ everySeconds: null }, { everySeconds: 15 }],
        [{ everySeconds: 15 }, { everySeconds: null }],
      ],
    );
  });
});
