// @needs-servers: kube
// Suspension against the local Kubernetes control plane: a tenant provisioned with its
// namespace runs a Deployment (3 replicas) and a StatefulSet (1); suspending scales both to
// zero, keeping the counts; reactivating brings back exactly those counts. A Deployment
// someone scaled to zero by hand before the suspension stays at zero afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';

const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const apps = kube.makeApiClient(k8s.AppsV1Api);

const container = { name: 'app', image: 'registry.invalid/app:1' };
const labels = { app: 'web' };

describe('suspension scales the tenant workloads in Kubernetes', () => {
  let platform: Platform;
  let slug: string;
  let namespace: string;

  before(async () => {
    platform = await startPlatform({ env: { ...workerEnvFor({ kube: 'admin' }), CLUSTER_ENVIRONMENTS: 'production' } });
    slug = uniqueSlug('kscale');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Scale Co', plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    const operation = await waitForOperation(platform, created.body.operation.id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    namespace = `tenant-${slug}-production`;
    // kube-scheduler and kwok run these pods (fake nodes); the spec's replicas is what counts.
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [container] } },
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'idle' },
        spec: {
          replicas: 0,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [container] } },
        },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [container] } },
        },
      },
    });
  });
  after(async () => {
    await platform?.stop();
  });

  const replicas = async () => ({
    web: (await apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas,
    idle: (await apps.readNamespacedDeployment({ name: 'idle', namespace })).spec?.replicas,
    db: (await apps.readNamespacedStatefulSet({ name: 'db', namespace })).spec?.replicas,
  });

  it('scales to zero on suspension and back to the recorded counts on reactivation', async () => {
    const suspended = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/suspend`, {
      headers: platform.admin.headers,
      json: { reason: 'Quota abuse' },
    });
    assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
    const suspension = await waitForOperation(platform, suspended.body.operation.id, 120_000);
    assert.equal(suspension.status, 'completed', JSON.stringify(suspension));
    assert.equal(suspension.steps.find((s: { name: string }) => s.name === 'workloads').status, 'completed');
    assert.deepEqual(await replicas(), { web: 0, idle: 0, db: 0 });
    const [row] = await platform.database.query<{ workloads: Array<{ name: string; previousReplicas: number }> }>(
      `SELECT workloads FROM tenant_suspensions WHERE number = 1`,
    );
    assert.deepEqual(Object.fromEntries((row?.workloads ?? []).map((w) => [w.name, w.previousReplicas])), {
      web: 3,
      idle: 0,
      db: 1,
    });

    const reactivated = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/reactivate`, {
      headers: platform.admin.headers,
      json: {},
    });
    assert.equal(reactivated.status, 202, JSON.stringify(reactivated.body));
    const reactivation = await waitForOperation(platform, reactivated.body.operation.id, 120_000);
    assert.equal(reactivation.status, 'completed', JSON.stringify(reactivation));
    assert.deepEqual(await replicas(), { web: 3, idle: 0, db: 1 });
    const web = await apps.readNamespacedDeployment({ name: 'web', namespace });
    assert.equal(web.metadata?.annotations?.['atrium.dev/suspended-replicas'], undefined);
  });
});
