// Promotions wait before they deploy (docs/decisions/0024), through the real API, Temporal and
// PostgreSQL (no cluster: the deploy step reports itself skipped, which is enough to see when it
// ran). Production asks for an admin's approval (the platform's default policy); once approved,
// a promotion is `held` while the release has not soaked in staging, while a freeze window is in
// force (item 5 of issue 14: a window that opens while the promotion waits for its approval),
// and while its tenant is suspended; it says why on the promotion and on the operation's step,
// and goes on when the hold ends, or at once when an edit of the environment lifts it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, expectOk, request, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';

const IMAGE = (n: number) => `registry.test/shop/web@sha256:${String(n).repeat(64)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PromotionView {
  number: number;
  release: number;
  status: string;
  detail: string | null;
  operationId: string;
}

describe('promotions hold before they deploy', () => {
  let platform: Platform;
  let slug: string;
  let tenantId: string;
  let owner: TestUser;
  let developer: TestUser;
  let admin: TestUser;

  before(async () => {
    platform = await startPlatform({
      env: { CLUSTER_ENVIRONMENTS: 'staging,production', PROMOTION_HOLD_RECHECK: '1s' },
    });
    const tenant = await provisionTenantWithOwner(platform, 'holds', { plan: 'team' });
    ({ slug, owner } = tenant);
    tenantId = tenant.id;
    developer = await seedUser(platform.database, { email: `dev@${slug}.test` });
    admin = await seedUser(platform.database, { email: `admin@${slug}.test` });
    for (const [who, role] of [
      [developer, 'developer'],
      [admin, 'admin'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        who.userId,
        role,
      ]);
    for (const n of [1, 2]) {
      const release = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/releases`, {
        headers: developer.headers,
        json: { image: IMAGE(n), notes: `release ${n}` },
      });
      assert.equal(release.status, 201, JSON.stringify(release.body));
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const promote = (environment: string, release: number) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/environments/${environment}/promotions`, {
      headers: developer.headers,
      json: { release },
    });
  const preview = (environment: string, release: number | string, who: TestUser = developer) =>
    request(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${slug}/environments/${environment}/promotions/preview?release=${release}`,
      { headers: who.headers },
    );
  const protect = async (environment: string, protection: Record<string, unknown>) => {
    const patched = await request(platform.baseUrl, 'PATCH', `/api/v1/tenants/${slug}/environments/${environment}`, {
      headers: owner.headers,
      json: { protection },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  };
  /** Read straight from the table: the API refuses a suspended tenant's members. */
  const promotion = async (environment: string, number: number): Promise<PromotionView> => {
    const [row] = await platform.database.query(
      `SELECT number, release_number AS release, status, detail, operation_id AS "operationId"
         FROM promotions WHERE tenant_id = $1 AND environment = $2 AND number = $3`,
      [tenantId, environment, number],
    );
    return row as unknown as PromotionView;
  };
  const waitForPromotion = async (
    environment: string,
    number: number,
    until: (row: PromotionView) => boolean,
    timeoutMs = 60_000,
  ): Promise<PromotionView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await promotion(environment, number);
      if (until(row)) return row;
      if (Date.now() > deadline) assert.fail(`promotion ${environment}/${number} stayed ${JSON.stringify(row)}`);
      await sleep(200);
    }
  };
  const operation = async (id: string) =>
    expectOk(await new ApiClient(platform.baseUrl, platform.admin.headers).getOperation(id));
  const approve = async (subjectId: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const queue = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/approvals?mine=false`, {
        headers: admin.headers,
      });
      const pending = queue.body.approvals.find(
        (a: { subject: { kind: string; id: string } }) => a.subject.kind === 'promotion' && a.subject.id === subjectId,
      );
      if (pending) {
        const approved = await request(
          platform.baseUrl,
          'POST',
          `/api/v1/tenants/${slug}/approvals/${pending.id}/approve`,
          { headers: admin.headers, json: { comment: 'go' } },
        );
        assert.equal(approved.status, 200, JSON.stringify(approved.body));
        return;
      }
      if (Date.now() > deadline) assert.fail(`no approval request for ${subjectId}`);
      await sleep(250);
    }
  };

  it('refuses a release that never ran in staging when production asks for a soak time there', async () => {
    await protect('production', { soakMinutes: 1 });
    const refused = await promote('production', 1);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.match(refused.body.detail, /Release 1 has not run in "staging"; "production" asks for 1 min there first/);
    assert.deepEqual(
      refused.body.errors.map((e: { path: string }) => e.path),
      ['release'],
    );
    const seen = await preview('production', 1);
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.equal(seen.body.canPromote, false);
    assert.equal(seen.body.soak.previousEnvironment, 'staging');
    assert.equal(seen.body.soak.ranSince, null);
    assert.ok(seen.body.blockers.some((b: string) => b.includes('has not run in "staging"')));
    // Nothing was recorded.
    assert.equal((await promotion('production', 1)) ?? null, null);
  });

  it('answers the preview with the approval, and a field error for a bad release', async () => {
    const bad = await preview('production', 'x');
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.ok(bad.body.errors.some((e: { path: string }) => e.path === 'release'));
    const unknown = await preview('production', 99);
    assert.equal(unknown.status, 422, JSON.stringify(unknown.body));
    assert.equal(unknown.body.errors[0].path, 'release');
    const missing = await preview('nowhere', 1);
    assert.equal(missing.status, 404);
    const staging = await preview('staging', 1);
    assert.equal(staging.body.canPromote, true, JSON.stringify(staging.body));
    assert.equal(staging.body.approval, null);
    assert.equal(staging.body.soak, null);
    const production = (await preview('production', 1, owner)).body;
    assert.ok(production.approval, JSON.stringify(production));
    assert.ok(production.approval.stages.length >= 1);
    // The owner may manage releases and deploy; the preview reads the caller's role.
    const viewer = await seedUser(platform.database, { email: `viewer-${Date.now()}@${slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      tenantId,
      viewer.userId,
    ]);
    const asViewer = (await preview('staging', 1, viewer)).body;
    assert.equal(asViewer.canPromote, false);
    assert.ok(asViewer.blockers.some((b: string) => b.includes('may not promote releases')));
  });

  it('holds an approved promotion until the release has soaked in staging; lifting the soak lets it go on at once', async () => {
    const toStaging = await promote('staging', 1);
    assert.equal(toStaging.status, 202, JSON.stringify(toStaging.body));
    const staged = await waitForOperation(platform, toStaging.body.operation.id, 60_000);
    assert.equal(staged.status, 'completed', JSON.stringify(staged));
    assert.equal(staged.steps.find((s: { name: string }) => s.name === 'hold').status, 'completed');

    const seen = (await preview('production', 1)).body;
    assert.equal(seen.canPromote, true, JSON.stringify(seen));
    const soakedAt = Date.parse(seen.soak.soakedAt);
    assert.equal(soakedAt - Date.parse(seen.soak.ranSince), 60_000);

    const started = await promote('production', 1);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const number = started.body.promotion.number as number;
    await approve(`production/${number}`);
    const held = await waitForPromotion('production', number, (row) => row.status === 'held');
    assert.match(held.detail ?? '', /Release 1 soaks in "staging" until .* \(1 min after it became available there\)/);
    const running = (await operation(held.operationId)).steps.find((s) => s.name === 'hold');
    assert.equal(running?.status, 'running');
    assert.equal(running?.note, held.detail);

    // Lifting the soak time wakes the promotion: it deploys long before the minute is up.
    await protect('production', { soakMinutes: 0 });
    const done = await waitForOperation(platform, held.operationId, 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.ok(Date.now() < soakedAt, 'the promotion waited for its timer, not for the edit');
    const audited = await platform.database.query(
      `SELECT action, after FROM audit_log WHERE tenant_id = $1 AND target_type = 'promotion' AND target_id = $2 ORDER BY id`,
      [tenantId, `production/${number}`],
    );
    const actions = audited.map((row) => row.action as string);
    assert.deepEqual(actions, [
      'promotion.requested',
      'promotion.awaiting_approval',
      'promotion.held',
      'promotion.deploying',
      'promotion.succeeded',
    ]);
    await recordHistory(platform.temporal, held.operationId, 'promote-release-soaked');
  });

  it('pauses a promotion when a freeze window opens while it waits for approval, and goes on when it closes', async () => {
    const start = new Date(Date.now() + 4_000);
    const end = new Date(start.getTime() + 10_000);
    await protect('production', {
      freezeWindows: [{ kind: 'once', start: start.toISOString(), end: end.toISOString(), reason: 'Year-end freeze' }],
    });
    const started = await promote('production', 2);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const number = started.body.promotion.number as number;
    await waitForPromotion('production', number, (row) => row.status === 'awaiting-approval');
    // The window opens while the promotion waits for its approval.
    await sleep(Math.max(0, start.getTime() + 500 - Date.now()));
    const frozen = (await preview('production', 2)).body;
    assert.equal(frozen.freeze.reason, 'Year-end freeze');
    assert.equal(frozen.freeze.until, end.toISOString());
    await approve(`production/${number}`);
    const held = await waitForPromotion('production', number, (row) => row.status === 'held');
    assert.equal(held.detail, `Deployments to "production" are frozen until ${end.toISOString()}: Year-end freeze`);
    const steps = (await operation(held.operationId)).steps;
    assert.equal(steps.find((s) => s.name === 'hold')?.note, held.detail);
    assert.equal(steps.find((s) => s.name === 'deploy')?.status, 'pending');

    const done = await waitForOperation(platform, held.operationId, 60_000);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const deploy = done.steps.find((s: { name: string }) => s.name === 'deploy');
    assert.ok(
      Date.parse(deploy.startedAt) >= end.getTime(),
      `deployed at ${deploy.startedAt}, before ${end.toISOString()}`,
    );
    assert.equal((await promotion('production', number)).status, 'succeeded');
    await recordHistory(platform.temporal, held.operationId, 'promote-release-frozen');
  });

  it("holds a suspended tenant's promotion until the tenant is reactivated", async () => {
    const end = new Date(Date.now() + 8_000);
    await protect('production', {
      freezeWindows: [
        {
          kind: 'once',
          start: new Date(Date.now() - 1_000).toISOString(),
          end: end.toISOString(),
          reason: 'Maintenance',
        },
      ],
    });
    const started = await promote('production', 1);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const number = started.body.promotion.number as number;
    await approve(`production/${number}`);
    await waitForPromotion('production', number, (row) => row.status === 'held');

    const suspend = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/suspend`, {
      headers: platform.admin.headers,
      json: { reason: 'unpaid invoice' },
    });
    assert.equal(suspend.status, 202, JSON.stringify(suspend.body));
    assert.equal((await waitForOperation(platform, suspend.body.operation.id, 60_000)).status, 'completed');
    // The suspension outranks the freeze at once (it is read first), and outlasts it.
    const suspended = await waitForPromotion('production', number, (row) => (row.detail ?? '').includes('suspended'));
    assert.equal(suspended.status, 'held');
    assert.equal(suspended.detail, `Tenant "${slug}" is suspended; the promotion waits until it is reactivated.`);
    await sleep(Math.max(0, end.getTime() + 1_500 - Date.now()));
    assert.equal((await promotion('production', number)).status, 'held');

    const reactivate = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/reactivate`, {
      headers: platform.admin.headers,
      json: {},
    });
    assert.equal(reactivate.status, 202, JSON.stringify(reactivate.body));
    assert.equal((await waitForOperation(platform, reactivate.body.operation.id, 60_000)).status, 'completed');
    const done = await waitForOperation(platform, suspended.operationId, 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal((await promotion('production', number)).status, 'succeeded');
    await recordHistory(platform.temporal, suspended.operationId, 'promote-release-suspended');
  });
});
