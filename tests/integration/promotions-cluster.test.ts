// @needs-servers: kube
// Promotions against the local Kubernetes control plane (kube-scheduler and kwok's fake nodes):
// release 1 promoted to staging (no approval there) becomes available; release 2, whose image
// never becomes ready, fails its 5 s progress deadline and is rolled back to release 1, which is
// available again; promoting to production waits for an admin's approval (the platform's
// default policy), given through the approvals API, then deploys.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';

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

  before(async () => {
    platform = await startPlatform({
      env: {
        ...workerEnvFor({ kube: 'admin' }),
        CLUSTER_ENVIRONMENTS: 'staging,production',
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
    for (const [who, role] of [
      [developer, 'developer'],
      [admin, 'admin'],
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

  it('deploys release 1 to staging without an approval, and it becomes available', async () => {
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

  it('waits for an admin to approve a promotion to production, then deploys', async () => {
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
    // The requester may not approve their own promotion (and is no admin).
    const own = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/approvals/${pending.id}/approve`, {
      headers: developer.headers,
      json: {},
    });
    assert.notEqual(own.status, 200);
    const approved = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${slug}/approvals/${pending.id}/approve`,
      { headers: admin.headers, json: { comment: 'ship it' } },
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const operation = await waitForOperation(platform, workflowId, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const [done] = await promotions('production');
    assert.equal(done.status, 'succeeded');
    const running = await deployment('production');
    assert.equal(running.image, GOOD);
    assert.equal(running.available, running.replicas);
    await recordHistory(platform.temporal, workflowId, 'promote-release-approved');
  });
});
