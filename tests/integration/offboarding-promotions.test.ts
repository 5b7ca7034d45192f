// Offboarding a tenant with a promotion waiting for an approval, over HTTP against the real
// Temporal dev server and PostgreSQL (CLUSTER_ENVIRONMENTS=staging,production with no cluster:
// the namespaces step, and a deploy, are skipped): promoting a release to production waits for
// an admin's approval (the platform's default policy); the tenant is offboarded before anyone
// decides. The offboarding cancels the promotion's workflow, records the promotion failed ("the
// tenant was offboarded", audited, promotion.failed emitted), closes the approval request
// rejected so no queue shows it (audited, approval.decided emitted), marks the environments
// deleted, and reports all of it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { parseOutboxRows } from '../support/events.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const IMAGE = `registry.test/shop/web@sha256:${'c'.repeat(64)}`;
const OFFBOARDED = 'the tenant was offboarded';

describe('offboarding ends open promotions and approvals', () => {
  let platform: Platform;
  let slug: string;
  let tenantId: string;
  let developer: TestUser;
  let admin: TestUser;

  before(async () => {
    platform = await startPlatform({ env: { CLUSTER_ENVIRONMENTS: 'staging,production' } });
    slug = uniqueSlug('off-promo');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Leaving Promo Co', plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const provisioned = await waitForOperation(platform, created.body.operation.id, 120_000);
    assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));
    tenantId = created.body.tenant.id;
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
    const release = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/releases`, {
      headers: developer.headers,
      json: { image: IMAGE, notes: 'the last one' },
    });
    assert.equal(release.status, 201, JSON.stringify(release.body));
  });
  after(async () => {
    await platform?.stop();
  });

  /** The pending promotion requests the platform admin's queue shows for this tenant. */
  const queued = async () => {
    const queue = await request(platform.baseUrl, 'GET', `/api/v1/approvals?mine=false&tenant=${slug}`, {
      headers: platform.admin.headers,
    });
    assert.equal(queue.status, 200, JSON.stringify(queue.body));
    return queue.body.approvals as Array<{ id: string; subject: { kind: string; id: string } }>;
  };

  it('cancels the waiting promotion, records it failed, closes its approval and marks the environments deleted', async () => {
    const started = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${slug}/environments/production/promotions`,
      {
        headers: developer.headers,
        json: { release: 1 },
      },
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const promotionWorkflow = started.body.operation.id as string;
    assert.equal(promotionWorkflow, `promotion/${slug}/production/1`);

    // It waits for an admin: the request is in the queues, the promotion awaiting approval.
    const deadline = Date.now() + 60_000;
    let pending = (await queued()).find((a) => a.subject.kind === 'promotion');
    while (!pending && Date.now() < deadline) {
      await sleep(250);
      pending = (await queued()).find((a) => a.subject.kind === 'promotion');
    }
    assert.ok(pending, 'no approval request was opened');
    assert.equal(pending.subject.id, 'production/1');
    const promotionRow = async () =>
      (
        await platform.database.query<{ status: string; detail: string | null; completed_at: Date | null }>(
          `SELECT status, detail, completed_at FROM promotions WHERE tenant_id = $1 AND environment = 'production' AND number = 1`,
          [tenantId],
        )
      )[0]!;
    while ((await promotionRow()).status !== 'awaiting-approval' && Date.now() < deadline) await sleep(100);
    assert.equal((await promotionRow()).status, 'awaiting-approval');

    const offboard = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/offboard`, {
      headers: platform.admin.headers,
      json: { reason: 'Contract ended mid-release', gracePeriod: '1s' },
    });
    assert.equal(offboard.status, 202, JSON.stringify(offboard.body));
    const operation = await waitForOperation(platform, offboard.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, offboard.body.operation.id, 'offboard-tenant-ended-promotions');
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['export', 'completed'],
        ['grace', 'completed'],
        ['connections', 'completed'],
        ['promotions', 'completed'],
        ['plan-changes', 'completed'],
        ['approvals', 'completed'],
        ['namespaces', 'skipped'],
        ['environments', 'completed'],
        ['secrets', 'completed'],
        ['database', 'completed'],
        ['metering', 'completed'],
        ['billing', 'completed'],
        ['report', 'completed'],
        ['webhooks', 'completed'],
      ],
    );

    // The promotion's workflow was cancelled and ended; the promotion is failed, saying why.
    const described = await platform.temporal.workflow.getHandle(promotionWorkflow).describe();
    assert.equal(described.status.name, 'CANCELLED');
    const promotion = await promotionRow();
    assert.deepEqual([promotion.status, promotion.detail], ['failed', OFFBOARDED]);
    assert.ok(promotion.completed_at);

    // The approval request is closed: no queue shows it, and it says why.
    assert.deepEqual(await queued(), []);
    const [stored] = await platform.database.query<{ status: string; reason: string; closed_at: Date | null }>(
      `SELECT status, reason, closed_at FROM approval_requests WHERE id = $1`,
      [pending.id],
    );
    assert.deepEqual([stored?.status, stored?.reason], ['rejected', OFFBOARDED]);
    assert.ok(stored?.closed_at);

    // Every environment row is deleted.
    const environments = await platform.database.query<{ name: string; status: string; deleted_at: Date | null }>(
      `SELECT name, status, deleted_at FROM tenant_environments WHERE tenant_id = $1 ORDER BY name`,
      [tenantId],
    );
    assert.deepEqual(
      environments.map((e) => [e.name, e.status, e.deleted_at !== null]),
      [
        ['production', 'deleted', true],
        ['staging', 'deleted', true],
      ],
    );

    // Audited as the offboarding admin's doing, and emitted once each.
    const audited = await platform.database.query<{ action: string; target_id: string; actor_type: string }>(
      `SELECT action, target_id, actor_type FROM audit_log WHERE tenant_id = $1 AND id > (
         SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.offboarding_started')
         AND action IN ('promotion.failed', 'approval.closed', 'environment.deleted') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      audited.map((a) => [a.action, a.target_id, a.actor_type]),
      [
        ['promotion.failed', 'production/1', 'user'],
        ['approval.closed', pending.id, 'user'],
        // In the tenant's order of environments.
        ['environment.deleted', 'staging', 'user'],
        ['environment.deleted', 'production', 'user'],
      ],
    );
    const events = parseOutboxRows(
      await platform.database.query(
        `SELECT * FROM event_outbox WHERE tenant_id = $1 AND type IN ('promotion.failed', 'approval.decided')`,
        [tenantId],
      ),
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.payload]),
      [
        [
          'promotion.failed',
          {
            environment: 'production',
            number: 1,
            release: 1,
            previousRelease: null,
            status: 'failed',
            detail: OFFBOARDED,
            operationId: promotionWorkflow,
          },
        ],
        [
          'approval.decided',
          {
            requestId: pending.id,
            subject: { kind: 'promotion', id: 'production/1', label: `Release 1 to production (${slug})` },
            operationId: promotionWorkflow,
            status: 'rejected',
            reason: OFFBOARDED,
            decidedBy: null,
          },
        ],
      ],
    );

    // The report lists them with the evidence.
    const report = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/offboard/report`, {
      headers: platform.admin.headers,
    });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const evidence = Object.fromEntries(
      report.body.resources.map((r: { kind: string; name: string; evidence: string }) => [
        `${r.kind} ${r.name}`,
        r.evidence,
      ]),
    );
    assert.match(
      evidence['promotion production/1 (release 1)'] ?? '',
      /was awaiting-approval; .* answered CANCELLED; recorded failed/,
    );
    assert.match(
      evidence[`approval_request ${pending.id} (Release 1 to production (${slug}))`] ?? '',
      /closed rejected/,
    );
    for (const name of ['staging', 'production'])
      assert.match(evidence[`environment ${name}`] ?? '', /marked deleted \(no namespace was deleted: /);
  });
});
