// Approval policies as tenant data, through the API: stored per environment (validated with
// the field named, owners and admins only, audited with the old and new policy), the named
// groups (members of the tenant only), and the simulation: real requests for "prod" are
// opened by a workflow on the approval gate and decided through the API; changing prod's
// policy from one approver to two then lists exactly the requests that would have been blocked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApprovalPolicy } from '../../workflows/approvals/policy.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ApprovalRequester } from '../support/approval-requests.ts';
import { startApprovalRequester } from '../support/approval-requests.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const DAY = 86_400_000;
const policyOf = (count: number, extra: Partial<ApprovalPolicy['rules'][number]> = {}): ApprovalPolicy => ({
  version: 1,
  rules: [
    {
      name: 'prod',
      stages: [{ name: 'admins', approvers: { kind: 'role', role: 'admin', count }, expiresAfterMs: DAY }],
      ...extra,
    },
  ],
});

describe('approval policies through the API', () => {
  let platform: Platform;
  let requester: ApprovalRequester;
  let slug: string;
  let tenantId: string;
  const people: Record<'owner' | 'admin' | 'admin2' | 'developer' | 'viewer' | 'stranger', TestUser> = {} as never;

  before(async () => {
    platform = await startPlatform();
    slug = uniqueSlug('policies');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Policies Co', plan: 'team', ownerEmail: `founder@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    tenantId = created.body.tenant.id;
    await waitForOperation(platform, created.body.operation.id);
    for (const [name, role] of [
      ['owner', 'owner'],
      ['admin', 'admin'],
      ['admin2', 'admin'],
      ['developer', 'developer'],
      ['viewer', 'viewer'],
    ] as const) {
      people[name] = await seedUser(platform.database, { email: `${name}@${slug}.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        people[name].userId,
        role,
      ]);
    }
    people.stranger = await seedUser(platform.database, { email: `stranger@${slug}.test` });
    requester = await startApprovalRequester(platform);
  });
  after(async () => {
    await requester?.stop();
    await platform?.stop();
  });

  const as = (who: TestUser) => ({
    get: (path: string) => request(platform.baseUrl, 'GET', path, { headers: who.headers }),
    put: (path: string, json?: unknown) => request(platform.baseUrl, 'PUT', path, { headers: who.headers, json }),
    post: (path: string, json: unknown = {}) => request(platform.baseUrl, 'POST', path, { headers: who.headers, json }),
    delete: (path: string) => request(platform.baseUrl, 'DELETE', path, { headers: who.headers }),
  });
  const policies = () => `/api/v1/tenants/${slug}/approval-policies`;
  const audit = (action: string) =>
    platform.database.query<{ actor_id: string; target_id: string; before: unknown; after: unknown }>(
      `SELECT actor_id, target_id, before, after FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY id`,
      [tenantId, action],
    );

  it('stores a policy per environment: validated, for owners and admins, audited with old and new', async () => {
    const empty = await as(people.viewer).get(policies());
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body.policies, []);
    assert.equal(empty.body.platformDefault.rules[0].name, 'production');
    const fallback = await as(people.viewer).get(`${policies()}/prod`);
    assert.equal(fallback.body.source, 'platform-default');

    // Refused: a developer; a policy with mistakes, each named by its field; a bad environment name.
    assert.equal((await as(people.developer).put(`${policies()}/prod`, { policy: policyOf(1) })).status, 403);
    const bad = await as(people.admin).put(`${policies()}/prod`, {
      policy: {
        version: 1,
        rules: [
          {
            name: 'prod',
            stages: [{ name: '', approvers: { kind: 'role', role: 'admin', count: 0 }, expiresAfterMs: 5 }],
          },
        ],
      },
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.equal(bad.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), [
      'policy.rules.0.stages.0.approvers.count',
      'policy.rules.0.stages.0.expiresAfterMs',
      'policy.rules.0.stages.0.name',
    ]);
    const badName = await as(people.admin).put(`${policies()}/Prod!`, { policy: policyOf(1) });
    assert.equal(badName.status, 422);
    assert.equal(badName.body.errors[0].path, 'environment');

    const stored = await as(people.admin).put(`${policies()}/prod`, { policy: policyOf(1) });
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assert.deepEqual([stored.body.environment, stored.body.updatedBy], ['prod', people.admin.email]);
    const replaced = await as(people.owner).put(`${policies()}/prod`, { policy: policyOf(1, { name: 'production' }) });
    assert.equal(replaced.status, 200);
    const applies = await as(people.developer).get(`${policies()}/prod`);
    assert.deepEqual([applies.body.source, applies.body.policy.rules[0].name], ['environment', 'production']);
    // The tenant default ('' stored, `_default` in the URL) applies where nothing else is stored.
    assert.equal((await as(people.admin).delete(`${policies()}/_default`)).status, 404);
    assert.equal((await as(people.admin).put(`${policies()}/_default`, { policy: policyOf(1) })).status, 201);
    assert.equal((await as(people.viewer).get(`${policies()}/staging`)).body.source, 'tenant-default');
    assert.equal((await as(people.admin).delete(`${policies()}/_default`)).status, 204);
    assert.equal((await as(people.viewer).get(`${policies()}/staging`)).body.source, 'platform-default');
    const list = await as(people.viewer).get(policies());
    assert.deepEqual(
      list.body.policies.map((p: { environment: string }) => p.environment),
      ['prod'],
    );

    const created = await audit('approval_policy.created');
    assert.deepEqual(
      created.map((e) => [e.actor_id, e.target_id, e.before]),
      [
        [people.admin.userId, 'prod', null],
        [people.admin.userId, '', null],
      ],
    );
    const [updated] = await audit('approval_policy.updated');
    assert.equal(updated?.actor_id, people.owner.userId);
    assert.deepEqual(updated?.before, { policy: policyOf(1) });
    assert.deepEqual(updated?.after, { policy: policyOf(1, { name: 'production' }) });
    const [deleted] = await audit('approval_policy.deleted');
    assert.deepEqual([deleted?.target_id, deleted?.before], ['', { policy: policyOf(1) }]);
  });

  it('keeps named groups of tenant members only, audited', async () => {
    const groups = `/api/v1/tenants/${slug}/approval-groups`;
    const member = (user: TestUser) => `${groups}/release-managers/members/${user.userId}`;
    const stranger = await as(people.admin).put(member(people.stranger));
    assert.equal(stranger.status, 422);
    assert.equal(stranger.body.errors[0].path, 'userId');
    assert.equal((await as(people.developer).put(member(people.developer))).status, 403);
    assert.equal((await as(people.admin).put(member(people.developer))).status, 201);
    assert.equal((await as(people.admin).put(member(people.developer))).status, 200, 'in it already');
    assert.equal((await as(people.admin).put(member(people.admin2))).status, 201);
    assert.equal((await as(people.admin).delete(member(people.admin2))).status, 204);
    assert.equal((await as(people.admin).delete(member(people.admin2))).status, 404);
    const listed = await as(people.viewer).get(groups);
    assert.deepEqual(listed.body.groups, [
      {
        name: 'release-managers',
        members: [{ userId: people.developer.userId, email: people.developer.email, displayName: 'developer' }],
      },
    ]);
    assert.deepEqual(
      (await audit('approval_group.member_added')).map((e) => e.after),
      [{ userId: people.developer.userId }, { userId: people.admin2.userId }],
    );
    assert.equal((await audit('approval_group.member_removed')).length, 1);
  });

  it('simulates prod going from one approver to two: exactly the requests that would have been blocked', async () => {
    await as(people.admin).put(`${policies()}/prod`, { policy: policyOf(1) });
    const current = (await as(people.admin).get(`${policies()}/prod`)).body.policy as ApprovalPolicy;
    const open = (label: string, environment = 'prod') =>
      requester.open({
        tenantId,
        requesterId: people.developer.userId,
        label,
        attributes: { environment },
        policy: current,
      });
    const decide = async (who: TestUser, requestId: string, action: 'approve' | 'reject', comment?: string) => {
      const answer = await as(who).post(
        `/api/v1/tenants/${slug}/approvals/${requestId}/${action}`,
        comment ? { comment } : {},
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };

    const first = await open('release 1 to prod');
    await decide(people.admin, first.requestId, 'approve');
    const second = await open('release 2 to prod');
    await decide(people.admin2, second.requestId, 'approve');
    const rejected = await open('release 3 to prod');
    await decide(people.owner, rejected.requestId, 'reject', 'not on a Friday');
    const waiting = await open('release 4 to prod');
    const elsewhere = await open('release 4 to staging', 'staging');
    await decide(people.admin, elsewhere.requestId, 'approve');
    for (const { workflowId } of [first, second, rejected]) await requester.result(workflowId);

    // Refused: a developer may not simulate; a proposed policy with a mistake names its field.
    assert.equal((await as(people.developer).post(`${policies()}/prod/simulate`, { policy: policyOf(2) })).status, 403);
    const bad = await as(people.admin).post(`${policies()}/prod/simulate`, { policy: policyOf(11) });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'policy.rules.0.stages.0.approvers.count');

    const simulated = await as(people.admin).post(`${policies()}/prod/simulate`, { policy: policyOf(2) });
    assert.equal(simulated.status, 200, JSON.stringify(simulated.body));
    const { body } = simulated;
    assert.equal(body.currentSource, 'environment');
    const rows = new Map<
      string,
      { status: string; current: { outcome: string }; proposed: { outcome: string; reason: string }; changed: boolean }
    >(body.requests.map((r: { id: string }) => [r.id, r]));
    assert.deepEqual(
      [...rows.keys()].sort(),
      [first.requestId, second.requestId, rejected.requestId, waiting.requestId].sort(),
      'the prod requests only (staging has its own policy scope)',
    );
    const outcomes = (id: string) => {
      const row = rows.get(id)!;
      return [row.status, row.current.outcome, row.proposed.outcome, row.changed];
    };
    assert.deepEqual(outcomes(first.requestId), ['approved', 'allowed', 'blocked', true]);
    assert.deepEqual(outcomes(second.requestId), ['approved', 'allowed', 'blocked', true]);
    assert.deepEqual(outcomes(rejected.requestId), ['rejected', 'blocked', 'blocked', false]);
    assert.deepEqual(outcomes(waiting.requestId), ['pending', 'pending', 'pending', false]);
    assert.match(rows.get(first.requestId)!.proposed.reason, /1 of 2/);
    const newlyBlocked = body.requests
      .filter((r: { changed: boolean; proposed: { outcome: string } }) => r.changed && r.proposed.outcome === 'blocked')
      .map((r: { id: string }) => r.id)
      .sort();
    assert.deepEqual(newlyBlocked, [first.requestId, second.requestId].sort());
    assert.deepEqual(body.summary, {
      current: { allowed: 2, blocked: 1, 'needs-someone-else': 0, pending: 1 },
      proposed: { allowed: 0, blocked: 3, 'needs-someone-else': 0, pending: 1 },
      changed: 2,
    });

    // A policy asking for the release managers: the admins who approved would not count.
    const group: ApprovalPolicy = {
      version: 1,
      rules: [
        {
          name: 'prod',
          stages: [
            { name: 'release', approvers: { kind: 'group', group: 'release-managers', count: 1 }, expiresAfterMs: DAY },
          ],
        },
      ],
    };
    const byGroup = await as(people.owner).post(`${policies()}/prod/simulate`, { policy: group });
    const firstByGroup = byGroup.body.requests.find((r: { id: string }) => r.id === first.requestId);
    assert.equal(firstByGroup.proposed.outcome, 'needs-someone-else');
    assert.deepEqual(firstByGroup.proposed.notCounted, [people.admin.email]);

    // Simulating changes nothing.
    assert.equal((await as(people.admin).get(`${policies()}/prod`)).body.policy.rules[0].stages[0].approvers.count, 1);
  });
});
