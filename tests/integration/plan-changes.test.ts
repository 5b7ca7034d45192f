// @needs-servers: stripe kube
// Changing a tenant's plan through the API and the changePlan workflow (`tenant-plan/<slug>/<n>`),
// against the real Temporal dev server and PostgreSQL, and then in two settings:
//
// - stripe-mock and the local Kubernetes control plane: an upgrade moves the Stripe
//   subscription, applies the plan's quota in the tenant's namespaces and reissues the license
//   (verified with the published key); a downgrade the tenant exceeds is refused naming what to
//   remove, with nothing recorded; bad input and the wrong caller change nothing;
// - the embedded defaults (local billing, whose period ends a month after it began): a
//   downgrade waits for the end of the period and can be cancelled; two requests at the same
//   moment start one change;
// - limits where things are added: API keys and members (invitations count as seats) stop at
//   the plan's limit with 409 `plan-limit-reached` naming it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { TenantPlanOverview } from '../../contracts/plans.ts';
import { hashAccountToken } from '../../db/repositories/account-tokens.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

interface TestTenant {
  id: string;
  slug: string;
  owner: TestUser;
  developer: TestUser;
}

async function provision(platform: Platform, prefix: string, plan: string): Promise<TestTenant> {
  const slug = uniqueSlug(prefix);
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    headers: platform.admin.headers,
    json: { slug, name: `Org ${slug}`, plan, ownerEmail: `invited@${slug}.test` },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const operation = await waitForOperation(platform, created.body.operation.id, 120_000);
  assert.equal(operation.status, 'completed', JSON.stringify(operation));
  const id = created.body.tenant.id as string;
  return {
    id,
    slug,
    owner: await addMember(platform, id, `owner@${slug}.test`, 'owner'),
    developer: await addMember(platform, id, `dev@${slug}.test`, 'developer'),
  };
}

async function addMember(platform: Platform, tenantId: string, email: string, role: string): Promise<TestUser> {
  const user = await seedUser(platform.database, { email });
  await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
    tenantId,
    user.userId,
    role,
  ]);
  return user;
}

const changes = (platform: Platform, tenant: TestTenant) =>
  platform.database.query<{ number: number; status: string; to_plan: string; effective_at: Date | null }>(
    `SELECT number, status, to_plan, effective_at FROM plan_changes WHERE tenant_id = $1 ORDER BY number`,
    [tenant.id],
  );

const planOf = async (platform: Platform, tenant: TestTenant) =>
  (await platform.database.query<{ plan: string }>(`SELECT plan FROM tenants WHERE id = $1`, [tenant.id]))[0]?.plan;

describe('plan changes with stripe-mock and the local Kubernetes control plane', () => {
  let platform: Platform;
  let tenant: TestTenant;
  let outsider: TestUser;
  const kube = new k8s.KubeConfig();
  kube.loadFromFile(kubeServer().kubeconfig);
  const core = kube.makeApiClient(k8s.CoreV1Api);

  before(async () => {
    // Only the free plan needs approval here, and no change below moves into it: changes that
    // wait for approval are tests/integration/plan-change-approvals.test.ts. (An empty
    // APPROVAL_PLANS would read as unset, i.e. the default `enterprise`.)
    platform = await startPlatform({
      env: { APPROVAL_PLANS: 'free' },
      workerEnv: workerEnvFor({ stripe: true, kube: 'admin' }),
    });
    tenant = await provision(platform, 'plan', 'team');
    outsider = await seedUser(platform.database, { email: `outsider-${tenant.slug}@plan.test` });
  });
  after(async () => {
    await platform?.stop();
  });

  const post = (headers: Record<string, string>, json: unknown, slug = tenant.slug) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/plan-changes`, { headers, json });

  it('refuses bad input and the wrong caller, each with a problem naming why, and records nothing', async () => {
    const cases: Array<[string, Record<string, string>, unknown, number, string | null]> = [
      ['unknown plan', tenant.owner.headers, { plan: 'platinum' }, 422, 'plan'],
      ['no plan', tenant.owner.headers, {}, 422, 'plan'],
      ['bad timing', tenant.owner.headers, { plan: 'free', timing: 'tomorrow' }, 422, 'timing'],
      ['unknown field', tenant.owner.headers, { plan: 'enterprise', force: true }, 422, null],
      ['the same plan', tenant.owner.headers, { plan: 'team' }, 409, 'plan'],
      ['a developer', tenant.developer.headers, { plan: 'enterprise' }, 403, null],
      ['an outsider', outsider.headers, { plan: 'enterprise' }, 404, null],
    ];
    for (const [what, headers, body, status, path] of cases) {
      const answer = await post(headers, body);
      assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/, what);
      if (path) assert.equal(answer.body.errors?.[0]?.path, path, `${what}: ${JSON.stringify(answer.body)}`);
    }
    const bad = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/plan-changes/abc/cancel`, {
      headers: tenant.owner.headers,
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    const missing = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/plan-changes/99/cancel`, {
      headers: tenant.owner.headers,
    });
    assert.equal(missing.status, 404);
    assert.deepEqual(await changes(platform, tenant), []);
    assert.equal(await planOf(platform, tenant), 'team');
  });

  it('refuses a downgrade the tenant exceeds, naming what to remove, and shows it before anyone asks', async () => {
    // Owner, developer and two more: four members, where the free plan allows three.
    await addMember(platform, tenant.id, `a@${tenant.slug}.test`, 'viewer');
    const extra = await addMember(platform, tenant.id, `b@${tenant.slug}.test`, 'viewer');
    const refused = await post(tenant.owner.headers, { plan: 'free', timing: 'now' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.type, /plan-exceeded/);
    assert.match(refused.body.detail, /Remove 1 member \(4 in use; the free plan allows 3\)/);
    assert.deepEqual(refused.body.errors, [
      { path: 'plan', message: 'Remove 1 member (4 in use; the free plan allows 3).' },
    ]);
    assert.deepEqual(await changes(platform, tenant), [], 'nothing was recorded');

    const overview = TenantPlanOverview.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/plan`, {
          headers: tenant.developer.headers,
        })
      ).body,
    );
    assert.equal(overview.plan, 'team');
    assert.equal(overview.usage.members, 4);
    assert.equal(overview.canChange, false, 'a developer sees the plan but may not change it');
    const free = overview.options.find((option) => option.plan === 'free')!;
    assert.equal(free.change, 'downgrade');
    assert.deepEqual(
      free.blockers.map((b) => b.limit),
      ['members'],
    );
    assert.deepEqual(overview.options.find((option) => option.plan === 'enterprise')!.blockers, []);
    await platform.database.query(`DELETE FROM memberships WHERE user_id = $1`, [extra.userId]);
  });

  it('upgrades at once: the subscription moves, the namespaces get the quota, the license is reissued and verifies', async () => {
    const started = await post(
      { ...tenant.owner.headers, 'idempotency-key': `up-${tenant.slug}` },
      { plan: 'enterprise' },
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const again = await post(
      { ...tenant.owner.headers, 'idempotency-key': `up-${tenant.slug}` },
      { plan: 'enterprise' },
    );
    assert.equal(again.body.operation.id, started.body.operation.id, 'the same key answers the same operation');
    assert.equal(started.body.operation.id, `tenant-plan/${tenant.slug}/1`);
    const operation = await waitForOperation(platform, started.body.operation.id, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((step: { name: string; status: string }) => `${step.name}:${step.status}`),
      ['check:completed', 'wait:skipped', 'subscription:completed', 'cluster:completed', 'license:completed'],
    );
    await recordHistory(platform.temporal, started.body.operation.id, 'change-plan-upgraded');

    assert.equal(await planOf(platform, tenant), 'enterprise');
    const [row] = await changes(platform, tenant);
    assert.equal(row?.status, 'applied');
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

    const [resources] = await platform.database.query<{ cluster_namespaces: string[] }>(
      `SELECT cluster_namespaces FROM tenant_resources WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.ok(resources!.cluster_namespaces.length > 0, 'the tenant has namespaces');
    for (const namespace of resources!.cluster_namespaces) {
      const quota = await core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace });
      assert.equal(quota.spec?.hard?.pods, '200', `${namespace} has the enterprise quota`);
    }
    const actions = (
      await platform.database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE tenant_id = $1 AND (action LIKE 'plan_change.%' OR action IN
           ('tenant.plan_changed', 'tenant.license_issued', 'billing.subscription_plan_changed', 'tenant.quotas_changed'))
         AND occurred_at > now() - interval '5 minutes' ORDER BY id`,
        [tenant.id],
      )
    ).map((r) => r.action);
    assert.deepEqual(actions.slice(-5), [
      'billing.subscription_plan_changed',
      'tenant.quotas_changed',
      'tenant.plan_changed',
      'tenant.license_issued',
      'plan_change.applied',
    ]);
  });

  it('downgrades at the period end; a period already over (stripe-mock’s fixture) takes effect at once', async () => {
    const started = await post(tenant.owner.headers, { plan: 'team' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.equal(await planOf(platform, tenant), 'team');
    for (const namespace of (
      await platform.database.query<{ cluster_namespaces: string[] }>(
        `SELECT cluster_namespaces FROM tenant_resources WHERE tenant_id = $1`,
        [tenant.id],
      )
    )[0]!.cluster_namespaces) {
      const quota = await core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace });
      assert.equal(quota.spec?.hard?.pods, '50', `${namespace} is back on the team quota`);
    }
  });
});

describe('plan changes on the embedded defaults (local billing)', () => {
  let platform: Platform;
  let tenant: TestTenant;

  before(async () => {
    platform = await startPlatform();
    tenant = await provision(platform, 'plansched', 'team');
  });
  after(async () => {
    await platform?.stop();
  });

  const post = (json: unknown) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/plan-changes`, {
      headers: tenant.owner.headers,
      json,
    });

  it('starts one change when two are asked at the same moment', async () => {
    const answers = await Promise.all([post({ plan: 'free' }), post({ plan: 'free' })]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [202, 409], JSON.stringify(answers.map((a) => a.body)));
    assert.equal((await changes(platform, tenant)).length, 1);
  });

  it('schedules a downgrade for the end of the billing period, shows it, and cancels it', async () => {
    const scheduled = await waitFor('the downgrade to be scheduled', async () => {
      const [row] = await changes(platform, tenant);
      return row?.status === 'scheduled' ? row : undefined;
    });
    const daysAway = (scheduled.effective_at!.getTime() - Date.now()) / 86_400_000;
    assert.ok(daysAway > 25 && daysAway <= 31, `the period ends in about a month (${daysAway} days)`);

    const overview = TenantPlanOverview.parse(
      (await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/plan`, { headers: tenant.owner.headers }))
        .body,
    );
    assert.equal(overview.plan, 'team', 'the tenant keeps what it paid for until then');
    assert.equal(overview.pending?.status, 'scheduled');
    assert.equal(overview.canChange, true);
    const another = await post({ plan: 'enterprise' });
    assert.equal(another.status, 409);
    assert.match(another.body.detail, /scheduled/);

    const byDeveloper = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/plan-changes/${scheduled.number}/cancel`,
      { headers: tenant.developer.headers },
    );
    assert.equal(byDeveloper.status, 403);
    const cancel = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/plan-changes/${scheduled.number}/cancel`,
      { headers: tenant.owner.headers },
    );
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const workflowId = `tenant-plan/${tenant.slug}/${scheduled.number}`;
    const operation = await waitForOperation(platform, workflowId, 30_000);
    assert.equal(operation.phase, 'cancelled', JSON.stringify(operation));
    await recordHistory(platform.temporal, workflowId, 'change-plan-cancelled');
    const [row] = await changes(platform, tenant);
    assert.equal(row?.status, 'cancelled');
    assert.equal(await planOf(platform, tenant), 'team');
    const again = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/plan-changes/${scheduled.number}/cancel`,
      { headers: tenant.owner.headers },
    );
    assert.equal(again.status, 409, 'a cancelled change cannot be cancelled again');
  });

  it('downgrades now when asked, and the history lists both changes', async () => {
    const started = await post({ plan: 'free', timing: 'now' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, started.body.operation.id, 'change-plan-downgraded-now');
    assert.equal(await planOf(platform, tenant), 'free');
    const overview = TenantPlanOverview.parse(
      (await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/plan`, { headers: tenant.owner.headers }))
        .body,
    );
    assert.deepEqual(
      overview.history.map((change) => `${change.number}:${change.status}`),
      ['2:applied', '1:cancelled'],
    );
    assert.equal(overview.pending, null);
  });
});

describe('plan limits where things are added (embedded defaults, a free tenant)', () => {
  let platform: Platform;
  let tenant: TestTenant;

  before(async () => {
    platform = await startPlatform();
    tenant = await provision(platform, 'planlimit', 'free');
  });
  after(async () => {
    await platform?.stop();
  });

  const as = (headers: Record<string, string> | null, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, {
      ...(headers ? { headers } : {}),
      ...(json === undefined ? {} : { json }),
    });

  function expectLimit(answer: { status: number; body: any }, limit: string, path: string) {
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.equal(answer.body.type, 'urn:atrium:problem:plan-limit-reached');
    assert.match(answer.body.detail, new RegExp(`The "free" plan allows \\d+ .*\\(limit "${limit}"\\)`));
    assert.equal(answer.body.errors?.[0]?.path, path);
  }

  it('API keys: the free plan’s two, then 409 naming the limit; a revoked key frees its place', async () => {
    const keys = `/api/v1/tenants/${tenant.slug}/api-keys`;
    const first = await as(tenant.owner.headers, 'POST', keys, { name: 'one', role: 'viewer' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal((await as(tenant.owner.headers, 'POST', keys, { name: 'two', role: 'viewer' })).status, 201);
    const third = await as(tenant.owner.headers, 'POST', keys, { name: 'three', role: 'viewer' });
    expectLimit(third, 'apiKeys', 'name');
    const [count] = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.equal(count?.n, 2, 'nothing was stored');
    assert.equal((await as(tenant.owner.headers, 'DELETE', `${keys}/${first.body.apiKey.id}`)).status, 204);
    assert.equal((await as(tenant.owner.headers, 'POST', keys, { name: 'three', role: 'viewer' })).status, 201);
  });

  it('members: invitations count as seats; accepting past the limit is refused and creates no account', async () => {
    const invitations = `/api/v1/tenants/${tenant.slug}/invitations`;
    // Owner and developer are members, and provisioning's owner invitation is pending: three
    // seats of the free plan's three.
    expectLimit(
      await as(tenant.owner.headers, 'POST', invitations, { email: 'fourth@limit.test', role: 'viewer' }),
      'members',
      'email',
    );
    const renewed = await as(tenant.owner.headers, 'POST', invitations, {
      email: `invited@${tenant.slug}.test`,
      role: 'owner',
    });
    assert.equal(renewed.status, 201, 'inviting a pending address again replaces its invitation: no new seat');
    assert.equal((await as(tenant.owner.headers, 'DELETE', `${invitations}/${renewed.body.id}`)).status, 204);
    const invited = await as(tenant.owner.headers, 'POST', invitations, { email: 'third@limit.test', role: 'viewer' });
    assert.equal(invited.status, 201, `a withdrawn invitation frees its seat: ${JSON.stringify(invited.body)}`);

    // An invitation sent before the seats filled up (as after a downgrade): its acceptance is refused.
    await addMember(platform, tenant.id, `filler@${tenant.slug}.test`, 'viewer');
    const token = randomBytes(32).toString('base64url');
    await platform.database.query(
      `INSERT INTO invitations (tenant_id, email, role, token_hash, expires_at)
       VALUES ($1, 'late@limit.test', 'viewer', $2, now() + interval '1 day')`,
      [tenant.id, hashAccountToken(token)],
    );
    const accepted = await as(null, 'POST', `/api/v1/invitations/${token}/accept`, {
      displayName: 'Late Comer',
      password: 'a long enough password',
    });
    expectLimit(accepted, 'members', 'token');
    const users = await platform.database.query(`SELECT 1 FROM users WHERE email = 'late@limit.test'`);
    assert.equal(users.length, 0, 'the refused acceptance created no account');
  });
});
