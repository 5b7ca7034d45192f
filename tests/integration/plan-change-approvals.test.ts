// Plan changes into a plan whose tenants wait for a platform admin's approval (APPROVAL_PLANS,
// `enterprise` by default) wait for the same approval, so a tenant cannot bypass it by signing
// up on a cheaper plan and upgrading. On the whole platform (embedded defaults: local billing):
// the change waits in its `approval` step on the approval primitive; neither the requester nor
// a tenant owner may approve it; another platform admin approves through the approvals API and
// the plan is applied with a reissued license; a rejection ends it `rejected` with the reason
// and the plan unchanged; a change into another plan needs no approval; offboarding the tenant
// ends a change still waiting for approval at once (its workflow cancelled, the change recorded
// cancelled, "the tenant was offboarded", its request closed) instead of leaving it to wait out
// APPROVAL_TIMEOUT.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { TenantPlanOverview } from '../../contracts/plans.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { waitFor } from '../support/wait-for.ts';

interface TestTenant {
  id: string;
  slug: string;
  owner: TestUser;
}

describe('plan changes that need a platform admin’s approval', () => {
  let platform: Platform;
  let secondAdmin: TestUser;

  before(async () => {
    platform = await startPlatform();
    secondAdmin = await seedUser(platform.database, { email: 'staff2@plan-approvals.test', platformAdmin: true });
  });
  after(async () => {
    await platform?.stop();
  });

  async function provision(prefix: string, plan: string): Promise<TestTenant> {
    const slug = uniqueSlug(prefix);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan, ownerEmail: `invited@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const operation = await waitForOperation(platform, created.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const id = created.body.tenant.id as string;
    const owner = await seedUser(platform.database, { email: `owner@${slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      id,
      owner.userId,
    ]);
    return { id, slug, owner };
  }

  const changePlan = (tenant: TestTenant, who: { headers: Record<string, string> }, json: unknown) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/plan-changes`, { headers: who.headers, json });
  const overview = async (tenant: TestTenant) =>
    TenantPlanOverview.parse(
      (await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/plan`, { headers: tenant.owner.headers }))
        .body,
    );
  const planOf = async (tenant: TestTenant) =>
    (await platform.database.query<{ plan: string }>(`SELECT plan FROM tenants WHERE id = $1`, [tenant.id]))[0]?.plan;
  const changeRow = async (tenant: TestTenant) =>
    (
      await platform.database.query<{ status: string; detail: string | null }>(
        `SELECT status, detail FROM plan_changes WHERE tenant_id = $1 ORDER BY number DESC LIMIT 1`,
        [tenant.id],
      )
    )[0];
  /** The change's approval request, once it takes decisions (the row says `awaiting-approval`). */
  async function pendingApproval(tenant: TestTenant, workflowId: string) {
    await waitFor('the change to await approval', async () =>
      (await changeRow(tenant))?.status === 'awaiting-approval' ? true : undefined,
    ).catch(async (error: unknown) => {
      const operation = await request(platform.baseUrl, 'GET', operationPath(workflowId), {
        headers: platform.admin.headers,
      });
      const worker = platform.worker
        .output()
        .split('\n')
        .filter((line) => /warn|error/i.test(line));
      throw new Error(
        `${String(error)}: ${JSON.stringify(await changeRow(tenant))} ${JSON.stringify(operation.body)}\n${worker.slice(-20).join('\n')}`,
      );
    });
    const queue = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/approvals?mine=false`, {
      headers: platform.admin.headers,
    });
    assert.equal(queue.status, 200, JSON.stringify(queue.body));
    const pending = queue.body.approvals.find((a: { subject: { kind: string } }) => a.subject.kind === 'plan-change');
    assert.ok(pending, JSON.stringify(queue.body));
    return { ...pending, path: `/api/v1/tenants/${tenant.slug}/approvals/${pending.id}` };
  }
  const decide = (who: { headers: Record<string, string> }, path: string, json: unknown = {}) =>
    request(platform.baseUrl, 'POST', path, { headers: who.headers, json });

  it('needs no approval for a plan not in APPROVAL_PLANS', async () => {
    const tenant = await provision('plan-noappr', 'free');
    const started = await changePlan(tenant, tenant.owner, { plan: 'team' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.approvalRequired, false);
    const operation = await waitForOperation(platform, started.body.operation.id, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.ok(!operation.steps.some((s: { name: string }) => s.name === 'approval'));
    assert.equal(await planOf(tenant), 'team');
  });

  it('waits for another platform admin; the owner cannot approve; approved, the plan and license follow', async () => {
    const tenant = await provision('plan-appr', 'team');
    const started = await changePlan(tenant, tenant.owner, { plan: 'enterprise' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.approvalRequired, true);
    const workflowId = started.body.operation.id as string;
    const pending = await pendingApproval(tenant, workflowId);
    assert.equal(pending.subject.id, `${tenant.slug}/1`);
    assert.equal(pending.subject.label, `Plan change of ${tenant.slug} from team to enterprise`);

    const waiting = await request(platform.baseUrl, 'GET', operationPath(workflowId), {
      headers: platform.admin.headers,
    });
    assert.deepEqual(
      waiting.body.steps.slice(0, 3).map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
      ['check:completed', 'approval:running', 'wait:pending'],
      JSON.stringify(waiting.body),
    );
    const shown = await overview(tenant);
    assert.equal(shown.plan, 'team', 'nothing changes before the approval');
    assert.equal(shown.pending?.status, 'awaiting-approval');
    const another = await changePlan(tenant, tenant.owner, { plan: 'free', timing: 'now' });
    assert.equal(another.status, 409, 'a change awaiting approval is open');

    // The platform-wide queue lists it for the admins, by kind.
    const queue = await request(platform.baseUrl, 'GET', '/api/v1/approvals?kind=plan-change', {
      headers: secondAdmin.headers,
    });
    assert.equal(queue.status, 200, JSON.stringify(queue.body));
    assert.ok(queue.body.approvals.some((a: { id: string; canDecide: boolean }) => a.id === pending.id && a.canDecide));

    const byOwner = await decide(tenant.owner, `${pending.path}/approve`);
    assert.equal(byOwner.status, 403, JSON.stringify(byOwner.body));
    const approved = await decide(secondAdmin, `${pending.path}/approve`, { comment: 'contract signed' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'approved');

    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`),
      [
        'check:completed',
        'approval:completed',
        'wait:skipped',
        'subscription:completed',
        'cluster:skipped',
        'license:completed',
      ],
    );
    await recordHistory(platform.temporal, workflowId, 'change-plan-approved');
    assert.equal(await planOf(tenant), 'enterprise');
    assert.equal((await changeRow(tenant))?.status, 'applied');
    const [license] = await platform.database.query<{ token: string }>(
      `SELECT token FROM tenant_licenses WHERE tenant_id = $1`,
      [tenant.id],
    );
    const jwks = await request(platform.baseUrl, 'GET', '/api/v1/license/jwks');
    const { payload } = await jwtVerify(license!.token, createLocalJWKSet(jwks.body), {
      issuer: 'atrium',
      audience: 'atrium-license',
    });
    assert.equal(payload.tier, 'enterprise');
    const actions = (
      await platform.database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'plan_change.%' ORDER BY id`,
        [tenant.id],
      )
    ).map((r) => r.action);
    assert.deepEqual(actions, ['plan_change.awaiting_approval', 'plan_change.approved', 'plan_change.applied']);
  });

  it('ends a rejected change rejected with the reason, the plan unchanged; the requesting admin cannot approve it', async () => {
    const tenant = await provision('plan-rej', 'team');
    const started = await changePlan(tenant, platform.admin, { plan: 'enterprise' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.operation.id as string;
    const pending = await pendingApproval(tenant, workflowId);

    const own = await decide(platform.admin, `${pending.path}/approve`);
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.match(own.body.detail, /separation of duties/);
    const rejected = await decide(secondAdmin, `${pending.path}/reject`, { comment: 'No contract signed' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.status, 'rejected');

    const operation = await waitForOperation(platform, workflowId, 60_000);
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    assert.match(operation.error, /was not approved: rejected by a platform admin: No contract signed/);
    assert.equal(operation.steps.find((s: { name: string }) => s.name === 'approval').status, 'failed');
    await recordHistory(platform.temporal, workflowId, 'change-plan-rejected');
    const row = await changeRow(tenant);
    assert.equal(row?.status, 'rejected');
    assert.match(row?.detail ?? '', /No contract signed/);
    assert.equal(await planOf(tenant), 'team');
    const shown = await overview(tenant);
    assert.equal(shown.pending, null);
    assert.equal(shown.history[0]?.status, 'rejected');
    const [audit] = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'plan_change.%' ORDER BY id DESC LIMIT 1`,
      [tenant.id],
    );
    assert.equal(audit?.action, 'plan_change.rejected');
  });

  it('offboarding ends a change waiting for approval at once: cancelled, "the tenant was offboarded", its request closed', async () => {
    const tenant = await provision('plan-off', 'team');
    const started = await changePlan(tenant, tenant.owner, { plan: 'enterprise' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.operation.id as string;
    const pending = await pendingApproval(tenant, workflowId);

    const offboard = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/offboard`, {
      headers: platform.admin.headers,
      json: { reason: 'Left before the upgrade was approved', gracePeriod: '1s' },
    });
    assert.equal(offboard.status, 202, JSON.stringify(offboard.body));
    const offboarding = await waitForOperation(platform, offboard.body.operation.id, 120_000);
    assert.equal(offboarding.status, 'completed', JSON.stringify(offboarding));
    await recordHistory(platform.temporal, offboard.body.operation.id, 'offboard-tenant-ended-plan-change');
    const steps = offboarding.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`);
    assert.deepEqual(
      steps.slice(steps.indexOf('promotions:completed'), steps.indexOf('promotions:completed') + 3),
      ['promotions:completed', 'plan-changes:completed', 'approvals:completed'],
      JSON.stringify(steps),
    );

    // The change's workflow was cancelled and closed during the offboarding, not at APPROVAL_TIMEOUT.
    const change = await waitForOperation(platform, workflowId, 10_000);
    assert.equal(change.status, 'cancelled', JSON.stringify(change));
    assert.ok(change.closedAt && offboarding.closedAt && change.closedAt <= offboarding.closedAt);
    await recordHistory(platform.temporal, workflowId, 'change-plan-offboarded');
    const row = await changeRow(tenant);
    assert.deepEqual([row?.status, row?.detail], ['cancelled', 'the tenant was offboarded']);
    assert.equal(await planOf(tenant), 'team');
    const [request_] = await platform.database.query<{ status: string; reason: string }>(
      `SELECT status, reason FROM approval_requests WHERE id = $1`,
      [pending.id],
    );
    assert.deepEqual([request_?.status, request_?.reason], ['rejected', 'the tenant was offboarded']);
    const queue = await request(platform.baseUrl, 'GET', '/api/v1/approvals?kind=plan-change', {
      headers: secondAdmin.headers,
    });
    assert.ok(!queue.body.approvals.some((a: { id: string }) => a.id === pending.id), 'no queue shows it');

    // Audited as the offboarding admin's doing, and in the teardown report with its evidence.
    const actions = (
      await platform.database.query<{ action: string; actor_type: string }>(
        `SELECT action, actor_type FROM audit_log WHERE tenant_id = $1
           AND action IN ('plan_change.cancelled', 'approval.closed') ORDER BY id`,
        [tenant.id],
      )
    ).map((r) => [r.action, r.actor_type]);
    assert.deepEqual(actions, [
      ['plan_change.cancelled', 'user'],
      ['approval.closed', 'user'],
    ]);
    const report = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/offboard/report`, {
      headers: platform.admin.headers,
    });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const ended = report.body.resources.find((r: { kind: string }) => r.kind === 'plan_change');
    assert.equal(ended?.name, '1 (team to enterprise)', JSON.stringify(report.body.resources));
    assert.match(ended.evidence, /was awaiting-approval; its workflow .* answered CANCELLED; recorded cancelled/);
  });
});
