// @needs-servers: kube
// Promotions against the local Kubernetes control plane (kube-scheduler and kwok's fake nodes):
// release 1 promoted to dev, then staging (no approval there) becomes available; release 2,
// whose image never becomes ready, fails its 5 s progress deadline and is rolled back to
// release 1, which is available again; promoting release 1 to production, whose policy asks for
// two admins, refuses the requester (audited), a viewer and Updates sent around the API, waits
// after the first admin, and deploys after the second (item 1 of issue 14).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { approveRequestUpdate } from '../../workflows/approvals/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';
import { updateRefused } from '../support/workflow-harness.ts';

const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const apps = kube.makeApiClient(k8s.AppsV1Api);

const GOOD = `registry.test/shop/web@sha256:${'a'.repeat(64)}`;
const NEVER_READY = `registry.test/shop/never-ready@sha256:${'b'.repeat(64)}`;

describe('promotions roll releases out in Kubernetes', () => {
  let platform: Platform;
  let slug: string;
  let tenantId: string;
  let developer: TestUser;
  let admin: TestUser;
  let secondAdmin: TestUser;
  let viewer: TestUser;

  before(async () => {
    platform = await startPlatform({
      env: {
        ...workerEnvFor({ kube: 'admin' }),
        CLUSTER_ENVIRONMENTS: 'dev,staging,production',
        PROMOTION_PROGRESS_DEADLINE: '5s',
        PROMOTION_POLL_INTERVAL: '500ms',
      },
    });
    slug = uniqueSlug('promo');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Promo Co', plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    const operation = await waitForOperation(platform, created.body.operation.id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    tenantId = created.body.tenant.id;
    developer = await seedUser(platform.database, { email: `dev@${slug}.test` });
    admin = await seedUser(platform.database, { email: `admin@${slug}.test` });
    secondAdmin = await seedUser(platform.database, { email: `admin2@${slug}.test` });
    viewer = await seedUser(platform.database, { email: `viewer@${slug}.test` });
    for (const [who, role] of [
      [developer, 'developer'],
      [admin, 'admin'],
      [secondAdmin, 'admin'],
      [viewer, 'viewer'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        who.userId,
        role,
      ]);
    for (const image of [GOOD, NEVER_READY]) {
      const release = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/releases`, {
        headers: developer.headers,
        json: { image, notes: image.includes('never') ? 'never becomes ready' : 'good' },
      });
      assert.equal(release.status, 201, JSON.stringify(release.body));
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const promote = (environment: string, release: number, who: TestUser = developer) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/environments/${environment}/promotions`, {
      headers: who.headers,
      json: { release },
    });
  const promotions = async (environment: string) =>
    (
      await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/environments/${environment}/promotions`, {
        headers: developer.headers,
      })
    ).body.items;
  const deployment = async (environment: string) => {
    const stored = await apps.readNamespacedDeployment({ name: 'app', namespace: `tenant-${slug}-${environment}` });
    return {
      image: stored.spec?.template.spec?.containers[0]?.image,
      release: stored.metadata?.labels?.['atrium.dev/release'],
      replicas: stored.spec?.replicas,
      available: stored.status?.availableReplicas ?? 0,
      updated: stored.status?.updatedReplicas ?? 0,
    };
  };

  it('deploys release 1 to dev, then to staging, without an approval, and it becomes available', async () => {
    const toDev = await promote('dev', 1);
    assert.equal(toDev.status, 202, JSON.stringify(toDev.body));
    const inDev = await waitForOperation(platform, toDev.body.operation.id, 120_000);
    assert.equal(inDev.status, 'completed', JSON.stringify(inDev));
    assert.equal((await deployment('dev')).available, 1);
    const started = await promote('staging', 1);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.operation.id, `promotion/${slug}/staging/1`);
    assert.equal(started.body.promotion.status, 'requested');
    const operation = await waitForOperation(platform, started.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const steps = Object.fromEntries(operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]));
    assert.deepEqual(steps, {
      check: 'completed',
      approval: 'skipped',
      hold: 'completed',
      deploy: 'completed',
      watch: 'completed',
      rollback: 'skipped',
      record: 'completed',
    });
    const [latest] = await promotions('staging');
    assert.equal(latest.status, 'succeeded');
    assert.equal(latest.release, 1);
    assert.equal(latest.previousRelease, null);
    assert.ok(latest.completedAt);
    const running = await deployment('staging');
    assert.equal(running.image, GOOD);
    assert.equal(running.release, 'release-1');
    assert.equal(running.available, running.replicas);
    await recordHistory(platform.temporal, started.body.operation.id, 'promote-release-succeeded');
  });

  it('rolls release 2 (never ready) back to release 1 after its progress deadline', async () => {
    const started = await promote('staging', 2);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    // One promotion at a time per environment.
    const second = await promote('staging', 1);
    assert.equal(second.status, 409);
    const operation = await waitForOperation(platform, started.body.operation.id, 180_000);
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    const steps = Object.fromEntries(operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]));
    assert.equal(steps.watch, 'failed');
    assert.equal(steps.rollback, 'completed');
    assert.equal(steps.record, 'completed');
    const [latest] = await promotions('staging');
    assert.equal(latest.number, 2);
    assert.equal(latest.status, 'rolled-back');
    assert.equal(latest.previousRelease, 1);
    assert.match(
      latest.detail,
      /^release 2 did not become available \(ProgressDeadlineExceeded: .*\); rolled back to release 1, available again$/,
    );
    const running = await deployment('staging');
    assert.equal(running.image, GOOD);
    assert.equal(running.release, 'release-1');
    assert.equal(running.available, running.replicas);
    assert.equal(running.updated, running.replicas);
    const audited = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_type = 'promotion' AND target_id = 'staging/2' ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      audited.map((row) => row.action),
      ['promotion.requested', 'promotion.deploying', 'promotion.rolled_back'],
    );
    await recordHistory(platform.temporal, started.body.operation.id, 'promote-release-rolled-back');
  });

  it('promotes release 1 on to production, which needs two admins: refusals first, then two approvals', async () => {
    // Production asks two different admins (the tenant's own policy for the environment).
    const policy = await request(platform.baseUrl, 'PUT', `/api/v1/tenants/${slug}/approval-policies/production`, {
      headers: admin.headers,
      json: {
        policy: {
          version: 1,
          rules: [
            {
              name: 'production',
              stages: [
                { name: 'admins', approvers: { kind: 'role', role: 'admin', count: 2 }, expiresAfterMs: 3_600_000 },
              ],
            },
          ],
        },
      },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const preview = await request(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${slug}/environments/production/promotions/preview?release=1`,
      { headers: developer.headers },
    );
    assert.equal(preview.body.approval.stages[0].approvers.count, 2, JSON.stringify(preview.body));

    const started = await promote('production', 1);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.operation.id;
    let pending: { id: string; subject: { kind: string; id: string } } | undefined;
    const deadline = Date.now() + 60_000;
    while (!pending && Date.now() < deadline) {
      const queue = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/approvals?mine=false`, {
        headers: admin.headers,
      });
      pending = queue.body.approvals.find((a: { subject: { kind: string } }) => a.subject.kind === 'promotion');
      if (!pending) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(pending, 'no approval request was opened');
    assert.equal(pending.subject.id, 'production/1');
    // The promotion shows as waiting once its request takes decisions.
    let waiting = (await promotions('production'))[0];
    while (waiting.status === 'requested' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      waiting = (await promotions('production'))[0];
    }
    assert.equal(waiting.status, 'awaiting-approval');
    // Nothing is deployed while it waits.
    await assert.rejects(deployment('production'));
    const approve = (who: TestUser, comment = 'ship it') =>
      request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/approvals/${pending.id}/approve`, {
        headers: who.headers,
        json: { comment },
      });

    // The requester may not approve their own promotion: refused, and the refusal audited.
    const own = await approve(developer);
    assert.equal(own.status, 403, JSON.stringify(own.body));
    const refusals = await platform.database.query<{ actor_id: string }>(
      `SELECT actor_id FROM audit_log WHERE tenant_id = $1 AND action = 'approval.refused' ORDER BY id`,
      [tenantId],
    );
    assert.ok(
      refusals.some((row) => row.actor_id === developer.userId),
      JSON.stringify(refusals),
    );
    // A viewer is no admin.
    assert.equal((await approve(viewer)).status, 403);
    // Straight to the workflow, around the API: no assertion, or a made-up one, is refused.
    const handle = platform.temporal.workflow.getHandle(workflowId);
    await assert.rejects(
      handle.executeUpdate(approveRequestUpdate, { args: [{ requestId: pending.id, assertion: '' }] }),
      updateRefused(/no approval assertion/),
    );
    const forged = `${Buffer.from(
      JSON.stringify({ v: 1, kid: 'ak-mine', wf: workflowId, req: pending.id, act: 'approve', sub: admin.userId }),
    ).toString('base64url')}.${'A'.repeat(86)}`;
    await assert.rejects(
      handle.executeUpdate(approveRequestUpdate, { args: [{ requestId: pending.id, assertion: forged }] }),
      updateRefused(/Refused: the approval assertion/),
    );

    // One admin: still waiting; the same admin again: refused (one person approves once).
    assert.equal((await approve(admin)).status, 200);
    assert.equal((await promotions('production'))[0].status, 'awaiting-approval');
    assert.notEqual((await approve(admin, 'again')).status, 200);
    await assert.rejects(deployment('production'));
    // The second admin: it deploys, and the rollout becomes available on the control plane.
    const second = await approve(secondAdmin, 'ship it too');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const operation = await waitForOperation(platform, workflowId, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const [done] = await promotions('production');
    assert.equal(done.status, 'succeeded');
    const running = await deployment('production');
    assert.equal(running.image, GOOD);
    assert.equal(running.available, running.replicas);
    await recordHistory(platform.temporal, workflowId, 'promote-release-two-approvals');
  });
});
