// Tenants on plans that need approval (enterprise) wait in provisionTenant for a platform
// admin's decision, sent through the approval primitive (a validated Temporal Update carrying
// the API's signed assertion; tests/integration/approvals.test.ts): approving lets provisioning go on;
// rejecting (with a reason) or no decision before APPROVAL_TIMEOUT ends it with the tenant
// failed and nothing built; members cannot decide; of two admins deciding at once, one wins.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const TIMEOUT_S = 15;

describe('approval of enterprise tenants', () => {
  let platform: Platform;
  let secondAdmin: TestUser;

  before(async () => {
    platform = await startPlatform({ env: { APPROVAL_TIMEOUT: `${TIMEOUT_S}s` } });
    secondAdmin = await seedUser(platform.database, { email: 'staff2@platform.test', platformAdmin: true });
  });
  after(async () => {
    await platform?.stop();
  });

  const create = async (plan: string) => {
    const slug = uniqueSlug(`appr-${plan}`);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Approval ${plan}`, plan, ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    return {
      slug,
      tenantId: created.body.tenant.id as string,
      operationId: created.body.operation.id as string,
      body: created.body,
    };
  };
  const decide = (who: { headers: Record<string, string> }, slug: string, json: unknown) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/approval`, { headers: who.headers, json });
  /** Polls until the operation's approval step is running (the tenant is waiting). */
  async function waitingForApproval(operationId: string) {
    for (let i = 0; i < 100; i += 1) {
      const { body } = await request(platform.baseUrl, 'GET', operationPath(operationId), {
        headers: platform.admin.headers,
      });
      const step = body?.steps?.find((s: { name: string }) => s.name === 'approval');
      if (step?.status === 'running') return body;
      await sleep(100);
    }
    throw new Error(`${operationId} never waited for approval`);
  }
  const schemaExists = async (slug: string) =>
    (
      await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [
        `tenant_${slug.replaceAll('-', '_')}`,
      ])
    ).length > 0;

  it('lets a team tenant through without asking', async () => {
    const { operationId, body } = await create('team');
    assert.equal(body.tenant.approvalStatus, null);
    const operation = await waitForOperation(platform, operationId);
    assert.equal(operation.status, 'completed');
    assert.ok(!operation.steps.some((s: { name: string }) => s.name === 'approval'));
  });

  it('waits for an approval that only platform admins give; one of two admins wins', async () => {
    const { slug, tenantId, operationId, body } = await create('enterprise');
    assert.equal(body.tenant.approvalStatus, 'pending');
    const waiting = await waitingForApproval(operationId);
    assert.deepEqual(
      waiting.steps.slice(0, 3).map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['record', 'completed'],
        ['approval', 'running'],
        ['database', 'pending'],
      ],
    );
    assert.equal(await schemaExists(slug), false, 'nothing is built before the approval');

    const owner = await seedUser(platform.database, { email: `owner@${slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenantId,
      owner.userId,
    ]);
    assert.equal((await decide(owner, slug, { decision: 'approve' })).status, 403);
    const noReason = await decide(platform.admin, slug, { decision: 'reject' });
    assert.equal(noReason.status, 422);
    assert.equal(noReason.body.errors[0].path, 'reason');

    const [first, second] = await Promise.all([
      decide(platform.admin, slug, { decision: 'approve' }),
      decide(secondAdmin, slug, { decision: 'approve' }),
    ]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [200, 409], `${JSON.stringify(first.body)} ${JSON.stringify(second.body)}`);
    const winner = first.status === 200 ? first : second;
    const loser = first.status === 200 ? second : first;
    assert.match(loser.body.detail, /already/);

    assert.equal(winner.body.status, 'approved');
    const operation = await waitForOperation(platform, operationId);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const tenant = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, {
      headers: platform.admin.headers,
    });
    assert.equal(tenant.body.approvalStatus, 'approved');
    assert.equal(tenant.body.status, 'active');
    assert.equal(await schemaExists(slug), true);
    const audit = await platform.database.query<{ action: string; actor_id: string | null }>(
      `SELECT action, actor_id FROM audit_log
       WHERE tenant_id = $1 AND action IN ('tenant.approval_requested', 'tenant.approved', 'tenant.rejected') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['tenant.approval_requested', 'tenant.approved'],
    );
    assert.equal(audit[1]?.actor_id, winner === first ? platform.admin.userId : secondAdmin.userId);
    await recordHistory(platform.temporal, operationId, 'provision-tenant-approved');
  });

  it('ends a rejected tenant failed with the reason, having built nothing', async () => {
    const { slug, operationId } = await create('enterprise');
    await waitingForApproval(operationId);
    const rejected = await decide(platform.admin, slug, { decision: 'reject', reason: 'No contract signed' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.status, 'rejected');
    const operation = await waitForOperation(platform, operationId);
    assert.equal(operation.status, 'failed');
    assert.match(operation.error, /No contract signed/);
    const step = operation.steps.find((s: { name: string }) => s.name === 'approval');
    assert.equal(step.status, 'failed');
    const tenant = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, {
      headers: platform.admin.headers,
    });
    assert.equal(tenant.body.status, 'failed');
    assert.match(tenant.body.failureReason, /rejected by a platform admin: No contract signed/);
    assert.equal(await schemaExists(slug), false);
    assert.equal((await decide(platform.admin, slug, { decision: 'approve' })).status, 409);
    await recordHistory(platform.temporal, operationId, 'provision-tenant-rejected');
  });

  it('counts no decision before the timeout as a rejection', async () => {
    const { slug, operationId } = await create('enterprise');
    await waitingForApproval(operationId);
    const operation = await waitForOperation(platform, operationId, (TIMEOUT_S + 60) * 1000);
    assert.equal(operation.status, 'failed');
    assert.match(operation.error, new RegExp(`no platform admin approved it within ${TIMEOUT_S} s`));
    const tenant = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, {
      headers: platform.admin.headers,
    });
    assert.equal(tenant.body.approvalStatus, 'rejected');
    assert.equal((await decide(platform.admin, slug, { decision: 'approve' })).status, 409);
    await recordHistory(platform.temporal, operationId, 'provision-tenant-expired');
  });
});
