// Default rotation policies per secret kind (docs/decisions/0039), through the whole platform
// (API, worker, Temporal dev server, PostgreSQL, the local secret store) with a real consumer:
// an HTTP server on loopback whose paths are the verify hooks.
//
// - a kind's policy gives each secret of the kind without a policy of its own a Schedule at its
//   interval (as Temporal describes it); a secret with its own keeps its own; a new secret and a
//   secret whose own policy is removed follow the kind; turning it off deletes their Schedules;
// - a short kind policy rotates a secret of that kind twice on its Schedule;
// - bad input (unknown kind, under the minimum, free plan, viewer, another tenant's member)
//   changes nothing; each change is in the audit log with before and after.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { RotationConsumers } from '../support/rotation-consumer.ts';
import { startRotationConsumers } from '../support/rotation-consumer.ts';
import { waitFor } from '../support/wait-for.ts';

describe('secret rotation policies per kind', () => {
  let platform: Platform;
  let consumers: RotationConsumers;
  const people: Record<'owner' | 'viewer' | 'outsider' | 'freeOwner', TestUser> = {} as never;
  const tenant = { id: '', slug: '' };
  const freeTenant = { id: '', slug: '' };

  before(async () => {
    consumers = await startRotationConsumers();
    platform = await startPlatform({
      env: { OUTBOUND_ALLOW_LOOPBACK: 'true', SECRET_ROTATION_MINIMUM: '2s', SECRET_VERSION_RETENTION: '1h' },
    });
    for (const [target, plan, prefix] of [
      [tenant, 'team', 'kindpolicy'],
      [freeTenant, 'free', 'kindpolicy-free'],
    ] as const) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(prefix), name: prefix, plan, ownerEmail: `${prefix}@kindpolicy.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      target.id = created.body.tenant.id;
      target.slug = created.body.tenant.slug;
    }
    for (const [key, role, target] of [
      ['owner', 'owner', tenant],
      ['viewer', 'viewer', tenant],
      ['outsider', 'owner', freeTenant],
      ['freeOwner', 'owner', freeTenant],
    ] as const) {
      people[key] = await seedUser(platform.database, { email: `${key}@kindpolicy.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        target.id,
        people[key].userId,
        role,
      ]);
    }
  });
  after(async () => {
    await platform?.stop();
    await consumers?.stop();
  });

  const secrets = (slug = tenant.slug) => `/api/v1/tenants/${slug}/secrets`;
  const policies = (slug = tenant.slug) => `/api/v1/tenants/${slug}/secret-kind-policies`;
  const call = (person: TestUser, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: person.headers, json });
  async function createSecret(body: Record<string, unknown>): Promise<string> {
    const created = await call(people.owner, 'POST', secrets(), { environment: 'staging', ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  }
  async function setKindPolicy(kind: string, every: string | null) {
    const answer = await call(people.owner, 'PUT', `${policies()}/${kind}`, { every });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }
  /** The Schedule's interval in ms as Temporal describes it; null when there is no Schedule. */
  async function scheduleEvery(secretId: string): Promise<number | null> {
    try {
      const described = await platform.temporal.schedule
        .getHandle(rotationScheduleId(tenant.slug, secretId))
        .describe();
      return Number(described.spec.intervals?.[0]?.every);
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  }
  const auditOf = (kind: string) =>
    platform.database.query<{ before: unknown; after: unknown; actor_id: string }>(
      `SELECT before, after, actor_id FROM audit_log
       WHERE tenant_id = $1 AND action = 'secret.kind_policy_updated' AND target_id = $2 ORDER BY id`,
      [tenant.id, kind],
    );

  it("a kind's policy schedules the secrets of the kind without their own; one with its own keeps it", async () => {
    const listed = await call(people.viewer, 'GET', policies());
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.minimum, '2s');
    assert.ok(listed.body.items.every((item: any) => item.policy === null));
    assert.ok(listed.body.items.some((item: any) => item.kind === 'database-password'));

    const following = await createSecret({ name: 'FOLLOWS', kind: 'database-password', value: 'v-follows' });
    const own = await createSecret({
      name: 'OWN',
      kind: 'database-password',
      value: 'v-own',
      rotationPolicy: { every: '2h' },
    });
    assert.equal(await scheduleEvery(following), null);

    const set = await setKindPolicy('database-password', '1h');
    assert.deepEqual(set.items.find((item: any) => item.kind === 'database-password').policy, {
      every: '1h',
      everySeconds: 3600,
    });
    assert.equal(await scheduleEvery(following), 3_600_000);
    assert.equal(await scheduleEvery(own), 7_200_000);
    const followingView = await call(people.viewer, 'GET', `${secrets()}/${following}`);
    assert.equal(followingView.body.rotationPolicy, null);
    assert.deepEqual(followingView.body.effectivePolicy, { every: '1h', everySeconds: 3600, source: 'kind' });
    assert.equal(followingView.body.schedule.state, 'scheduled');
    assert.ok(followingView.body.nextRotationAt);
    const ownView = await call(people.viewer, 'GET', `${secrets()}/${own}`);
    assert.deepEqual(ownView.body.effectivePolicy, { every: '2h', everySeconds: 7200, source: 'secret' });

    // A new secret of the kind, and one whose own policy is removed, follow the kind.
    const later = await createSecret({ name: 'LATER', kind: 'database-password', value: 'v-later' });
    assert.equal(await scheduleEvery(later), 3_600_000);
    const removed = await call(people.owner, 'PATCH', `${secrets()}/${own}`, { rotationPolicy: null });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.effectivePolicy, { every: '1h', everySeconds: 3600, source: 'kind' });
    assert.equal(await scheduleEvery(own), 3_600_000);
    // Another kind is untouched.
    const other = await createSecret({ name: 'OTHER', kind: 'signing-key', value: 'v-other' });
    assert.equal(await scheduleEvery(other), null);

    const off = await setKindPolicy('database-password', null);
    assert.equal(off.items.find((item: any) => item.kind === 'database-password').policy, null);
    for (const id of [following, own, later]) assert.equal(await scheduleEvery(id), null, id);
    const offView = await call(people.viewer, 'GET', `${secrets()}/${following}`);
    assert.equal(offView.body.effectivePolicy, null);
    assert.equal(offView.body.nextRotationAt, null);

    const audit = await auditOf('database-password');
    assert.deepEqual(
      audit.map((entry) => [entry.before, entry.after]),
      [
        [
          { kind: 'database-password', every: null },
          { kind: 'database-password', every: '1h', secretsFollowing: 1 },
        ],
        [
          { kind: 'database-password', every: '1h' },
          { kind: 'database-password', every: null, secretsFollowing: 3 },
        ],
      ],
    );
    assert.ok(audit.every((entry) => entry.actor_id === people.owner.userId));
  });

  it('a short kind policy rotates a secret of that kind twice on its Schedule', async () => {
    const secretId = await createSecret({
      name: 'SCHEDULED_BY_KIND',
      kind: 'generic',
      value: `kind-${randomBytes(12).toString('base64url')}`,
      consumers: ['web'],
    });
    const settings = await call(people.owner, 'PUT', `${secrets()}/${secretId}/rotation-settings`, {
      verifyHooks: { web: consumers.url('kind-web') },
      overlap: '1s',
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    await setKindPolicy('generic', '3s');
    assert.equal(await scheduleEvery(secretId), 3_000);

    const completed = await waitFor(
      'two scheduled rotations',
      async () => {
        const list = await call(people.viewer, 'GET', `${secrets()}/${secretId}/rotations`);
        const done = list.body.items.filter((item: any) => item.status === 'completed');
        return done.length >= 2 ? done : undefined;
      },
      90_000,
    );
    assert.ok(completed.every((item: any) => item.trigger === 'schedule'));
    const secret = await call(people.viewer, 'GET', `${secrets()}/${secretId}`);
    assert.ok(secret.body.version >= 3, `version ${secret.body.version}`);
    assert.equal(secret.body.effectivePolicy.source, 'kind');
    // The consumer holds the value the secret now has.
    const revealed = await call(people.owner, 'POST', `${secrets()}/${secretId}/reveal`, {});
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    await waitFor('the consumer to use the current value', () =>
      consumers.state('kind-web').current === revealed.body.value ? true : undefined,
    );

    await setKindPolicy('generic', null);
    assert.equal(await scheduleEvery(secretId), null);
  });

  it('bad input, the free plan, a viewer and another tenant’s member change nothing', async () => {
    await setKindPolicy('api-key', '12h');
    const state = async () => ({
      rows: await platform.database.query(
        `SELECT tenant_id, kind, every_seconds FROM secret_kind_rotation_policies ORDER BY tenant_id, kind`,
      ),
      audit: (
        await platform.database.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM audit_log WHERE action = 'secret.kind_policy_updated'`,
        )
      )[0]?.n,
    });
    const before = await state();
    const problem = async (person: TestUser, path: string, json: unknown, status: number) => {
      const answer = await call(person, 'PUT', path, json);
      assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      return answer.body;
    };
    const paths = (body: any): string[] => (body.errors ?? []).map((e: any) => e.path);
    assert.deepEqual(paths(await problem(people.owner, `${policies()}/password-of-doom`, { every: '1h' }, 422)), [
      'kind',
    ]);
    assert.deepEqual(paths(await problem(people.owner, `${policies()}/api-key`, { every: '1s' }, 422)), ['every']);
    assert.deepEqual(paths(await problem(people.owner, `${policies()}/api-key`, { every: 'soon' }, 422)), ['every']);
    assert.ok(paths(await problem(people.owner, `${policies()}/api-key`, { every: '1h', extra: 1 }, 422)).length > 0);
    const free = await problem(people.freeOwner, `${policies(freeTenant.slug)}/api-key`, { every: '1h' }, 403);
    assert.match(free.type, /plan-feature-missing/);
    assert.deepEqual(paths(free), ['every']);
    await problem(people.viewer, `${policies()}/api-key`, { every: '1h' }, 403);
    await problem(people.outsider, `${policies()}/api-key`, { every: '1h' }, 404);
    const outsiderRead = await call(people.outsider, 'GET', policies());
    assert.equal(outsiderRead.status, 404);
    assert.deepEqual(await state(), before);
  });
});
