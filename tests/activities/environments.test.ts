// @needs-servers: kube
// The environments family's activities, called directly with the local Kubernetes control plane
// as the cluster (the other adapters embedded): in workflow order, create an environment's
// namespace, mark it ready, delete the namespace, mark it deleted. Each runs twice (the second
// run changes nothing and audits nothing) with the bystander untouched; the namespace is read
// back from the API server with a client of the test's own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import environments from '../../activities/environments/index.ts';
import type { EnvironmentActivities } from '../../activities/environments/index.ts';
import { DEFAULT_CONFIGURATION, DEFAULT_PROTECTION } from '../../contracts/environments.ts';
import { insertEnvironment } from '../../db/repositories/tenant-environments.ts';
import { withTenantScope } from '../../db/scope.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import { createCluster } from '../../integrations/cluster/select.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import { kubeServer } from '../support/servers.ts';

const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const core = kube.makeApiClient(k8s.CoreV1Api);

async function namespacePhase(name: string): Promise<string | null> {
  try {
    return (await core.readNamespace({ name })).status?.phase ?? 'unknown';
  } catch (error) {
    if ((error as { code?: number }).code === 404) return null;
    throw error;
  }
}

describe('environments activities', () => {
  let h: ActivityHarness;
  let a: EnvironmentActivities;
  let t: TestTenant;
  const environment = 'qa';

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-env' });
    const cluster = createCluster({
      adapter: { kind: 'kubernetes', source: { kubeconfigPath: kubeServer().kubeconfig } },
      environments: ['production'],
      ingressNamespaceLabel: { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' },
    });
    a = environments.createActivities({
      ...h.deps,
      cluster: { port: cluster, environments: ['production'] },
    });
    t = h.newTenant({ plan: 'team' });
    await h.provision(t);
    // What the API records before it starts createEnvironment.
    await withTenantScope(h.dataSource, t.tenantId, (db) =>
      insertEnvironment(db, {
        tenant_id: t.tenantId,
        name: environment,
        status: 'creating',
        configuration: { ...DEFAULT_CONFIGURATION, replicas: 2 },
        protection: DEFAULT_PROTECTION,
        operation_id: `environment-create/${t.slug}/${environment}`,
        created_by: null,
      }),
    );
  });
  after(async () => {
    await h?.stop();
  });

  const ref = () => ({ ...h.ref(t), environment });
  const row = (state: Record<string, any>) =>
    state.tenant_environments.find((e: { name: string; deleted_at: unknown }) => e.name === environment);

  it('createEnvironmentNamespace: the namespace exists with its objects, recorded and audited once', async () => {
    const run = await h.twice(a, 'createEnvironmentNamespace', ref(), { tenant: t });
    const namespace = tenantNamespaceName(t.slug, environment);
    assert.deepEqual(run.result, { namespace, skipped: null });
    assert.deepEqual(run.audit, ['tenant.namespace_created']);
    assert.ok(run.after.tenant_resources[0].cluster_namespaces.includes(namespace));
    assert.equal(await namespacePhase(namespace), 'Active');
    const read = await core.readNamespace({ name: namespace });
    assert.equal(read.metadata?.labels?.['atrium.dev/environment'], environment);
    assert.equal(read.metadata?.labels?.['atrium.dev/tenant-id'], t.tenantId);
    const quotas = await core.listNamespacedResourceQuota({ namespace });
    assert.deepEqual(
      quotas.items.map((q) => q.metadata?.name),
      ['atrium-plan'],
    );
    const secrets = await core.listNamespacedSecret({ namespace });
    assert.ok(secrets.items.some((s) => s.metadata?.name === 'tenant-database'));
    await h.assertBystanderUntouched();
  });

  it('recordEnvironmentStatus ready: creating → ready, audited once', async () => {
    const run = await h.twice(a, 'recordEnvironmentStatus', { ...ref(), status: 'ready', detail: null }, { tenant: t });
    assert.deepEqual(run.audit, ['environment.created']);
    assert.equal(row(run.after).status, 'ready');
    assert.equal(row(run.after).configuration.replicas, 2, 'the configuration is kept');
  });

  it('deleteEnvironmentNamespace: the namespace is gone from the API server and from the record', async () => {
    const run = await h.twice(a, 'deleteEnvironmentNamespace', ref(), { tenant: t });
    const namespace = tenantNamespaceName(t.slug, environment);
    assert.deepEqual(run.result, { namespace, skipped: null });
    assert.deepEqual(run.audit, ['tenant.namespace_deleted']);
    assert.ok(!run.after.tenant_resources[0].cluster_namespaces.includes(namespace));
    assert.equal(await namespacePhase(namespace), null);
    await h.assertBystanderUntouched();
  });

  it('recordEnvironmentStatus deleted: the row keeps its history, its name is free', async () => {
    const run = await h.twice(
      a,
      'recordEnvironmentStatus',
      { ...ref(), status: 'deleted', detail: null },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['environment.deleted']);
    const deleted = row(run.after);
    assert.equal(deleted.status, 'deleted');
    assert.notEqual(deleted.deleted_at, null);
  });

  it('createEnvironmentNamespace refuses an environment that is not recorded, for good', async () => {
    const failure = (await h.failure(a, 'createEnvironmentNamespace', { ...h.ref(t), environment: 'ghost' })) as {
      type?: string;
      nonRetryable?: boolean;
    };
    assert.equal(failure.type, 'EnvironmentMissing');
    assert.equal(failure.nonRetryable, true);
    assert.equal(await namespacePhase(tenantNamespaceName(t.slug, 'ghost')), null, 'no namespace was made');
  });
});
