// Delegation while someone is away, on the whole platform: an admin names a viewer as their
// delegate for a period; while it applies the viewer approves a prod request in the admin's
// place (the workflow verifies the assertion naming whom they stand in for), the decision is
// recorded "on behalf of" and audited; the admin cannot then approve it again; a delegate who
// is the requester is still refused (separation of duties); once revoked the delegation gives
// nothing. Requests are opened by a workflow on the real approval gate.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApprovalPolicy } from '../../workflows/approvals/policy.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ApprovalRequester } from '../support/approval-requests.ts';
import { startApprovalRequester } from '../support/approval-requests.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const TWO_ADMINS: ApprovalPolicy = {
  version: 1,
  rules: [
    {
      name: 'prod',
      stages: [{ name: 'admins', approvers: { kind: 'role', role: 'admin', count: 2 }, expiresAfterMs: 86_400_000 }],
    },
  ],
};

describe('approval delegation through the API', () => {
  let platform: Platform;
  let requester: ApprovalRequester;
  let slug: string;
  let tenantId: string;
  const people: Record<'ann' | 'bob' | 'dev' | 'viv' | 'stranger', TestUser> = {} as never;

  before(async () => {
    platform = await startPlatform();
    slug = uniqueSlug('delegation');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Delegation Co', plan: 'team', ownerEmail: `founder@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    tenantId = created.body.tenant.id;
    await waitForOperation(platform, created.body.operation.id);
    for (const [name, role] of [
      ['ann', 'admin'],
      ['bob', 'admin'],
      ['dev', 'developer'],
      ['viv', 'viewer'],
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
    post: (path: string, json: unknown = {}) => request(platform.baseUrl, 'POST', path, { headers: who.headers, json }),
    delete: (path: string) => request(platform.baseUrl, 'DELETE', path, { headers: who.headers }),
  });
  const delegations = () => `/api/v1/tenants/${slug}/approval-delegations`;
  const period = (fromMs: number, toMs: number) => ({
    startsAt: new Date(Date.now() + fromMs).toISOString(),
    endsAt: new Date(Date.now() + toMs).toISOString(),
  });
  const open = (label: string) =>
    requester.open({
      tenantId,
      requesterId: people.dev.userId,
      label,
      attributes: { environment: 'prod' },
      policy: TWO_ADMINS,
    });
  const decide = (who: TestUser, requestId: string) =>
    as(who).post(`/api/v1/tenants/${slug}/approvals/${requestId}/approve`);

  it('refuses delegations to outsiders, to oneself, and periods that make no sense', async () => {
    const outsider = await as(people.ann).post(delegations(), {
      delegateId: people.stranger.userId,
      ...period(0, 3_600_000),
    });
    assert.equal(outsider.status, 422);
    assert.equal(outsider.body.errors[0].path, 'delegateId');
    const self = await as(people.ann).post(delegations(), { delegateId: people.ann.userId, ...period(0, 3_600_000) });
    assert.equal(self.body.errors[0].path, 'delegateId');
    const backwards = await as(people.ann).post(delegations(), {
      delegateId: people.viv.userId,
      ...period(3_600_000, 0),
    });
    assert.equal(backwards.status, 422);
    assert.equal(backwards.body.errors[0].path, 'endsAt');
    const past = await as(people.ann).post(delegations(), {
      delegateId: people.viv.userId,
      ...period(-7_200_000, -3_600_000),
    });
    assert.equal(past.body.errors[0].path, 'endsAt');
  });

  it("lets the delegate decide in the absent admin's place, once, recorded on their behalf", async () => {
    const given = await as(people.ann).post(delegations(), {
      delegateId: people.viv.userId,
      ...period(-60_000, 3_600_000),
    });
    assert.equal(given.status, 201, JSON.stringify(given.body));
    assert.equal(given.body.active, true);
    const listed = await as(people.viv).get(delegations());
    assert.deepEqual(
      listed.body.received.map((d: { id: string }) => d.id),
      [given.body.id],
    );

    const first = await open('release 1 to prod');
    // The viewer's queue shows it: they may decide, standing in for Ann.
    const queue = await as(people.viv).get('/api/v1/approvals?kind=promotion');
    assert.ok(queue.body.approvals.some((a: { id: string }) => a.id === first.requestId));

    const byDelegate = await decide(people.viv, first.requestId);
    assert.equal(byDelegate.status, 200, JSON.stringify(byDelegate.body));
    assert.deepEqual([byDelegate.body.status, byDelegate.body.approvals], ['pending', 1]);
    // Ann, back, would decide a second time: refused (one person decides once).
    const again = await decide(people.ann, first.requestId);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.match(again.body.detail, /decided/);
    // And the delegate a second time, in person or for Ann: refused.
    assert.equal((await decide(people.viv, first.requestId)).status, 409);

    const second = await decide(people.bob, first.requestId);
    assert.equal(second.body.status, 'approved', JSON.stringify(second.body));
    assert.equal((await requester.result(first.workflowId)).status, 'approved');

    const decisions = await platform.database.query<{ user_id: string; on_behalf_of: string | null }>(
      `SELECT user_id, on_behalf_of FROM approval_decisions WHERE request_id = $1 ORDER BY id`,
      [first.requestId],
    );
    assert.deepEqual(
      decisions.map((d) => [d.user_id, d.on_behalf_of]),
      [
        [people.viv.userId, people.ann.userId],
        [people.bob.userId, null],
      ],
    );
    const audit = await platform.database.query<{ action: string; actor_id: string; after: Record<string, unknown> }>(
      `SELECT action, actor_id, after FROM audit_log WHERE tenant_id = $1
          AND action IN ('approval_delegation.created', 'approval.approved', 'approval.refused') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      audit.map((e) => [e.action, e.actor_id, e.after.onBehalfOf ?? e.after.code ?? null]),
      [
        ['approval_delegation.created', people.ann.userId, null],
        ['approval.approved', people.viv.userId, people.ann.userId],
        ['approval.refused', people.ann.userId, 'decided-already'],
        ['approval.refused', people.viv.userId, 'decided-already'],
        ['approval.approved', people.bob.userId, null],
      ],
    );
  });

  it('never lets the requester decide, even as a delegate; a revoked delegation gives nothing', async () => {
    const toRequester = await as(people.bob).post(delegations(), {
      delegateId: people.dev.userId,
      ...period(-60_000, 3_600_000),
    });
    assert.equal(toRequester.status, 201);
    const next = await open('release 2 to prod');
    const own = await decide(people.dev, next.requestId);
    assert.equal(own.status, 403);
    assert.match(own.body.detail, /separation of duties/);

    const mine = (await as(people.ann).get(delegations())).body.given as Array<{ id: string }>;
    assert.equal(mine.length, 1);
    assert.equal(
      (await as(people.viv).delete(`${delegations()}/${mine[0]!.id}`)).status,
      404,
      'only its giver ends it',
    );
    assert.equal((await as(people.ann).delete(`${delegations()}/${mine[0]!.id}`)).status, 204);
    const afterRevoke = await decide(people.viv, next.requestId);
    assert.equal(afterRevoke.status, 403);
    assert.match(afterRevoke.body.detail, /needs 2 × admin/);
    const revoked = await platform.database.query(
      `SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = 'approval_delegation.revoked' AND actor_id = $2`,
      [tenantId, people.ann.userId],
    );
    assert.equal(revoked.length, 1);
  });
});
