// The worker's cluster settings: none by default, Kubernetes from KUBECONFIG or in-cluster,
// and every bad value named at boot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../config/env.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import { readWorkerConfig } from '../../worker/config.ts';

const DATABASE_URL = 'postgres://localhost/atrium';

function problems(env: Record<string, string>): string[] {
  try {
    readWorkerConfig({ DATABASE_URL, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('cluster configuration', () => {
  it('has no cluster, one production environment and the ingress-nginx namespace by default', () => {
    assert.deepEqual(readWorkerConfig({ DATABASE_URL }).cluster, {
      adapter: { kind: 'none' },
      environments: ['production'],
      ingressNamespaceLabel: { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' },
    });
  });

  it('selects Kubernetes from KUBECONFIG or in-cluster credentials', () => {
    const fromFile = readWorkerConfig({
      DATABASE_URL,
      KUBECONFIG: '/etc/atrium/kubeconfig',
      CLUSTER_ENVIRONMENTS: 'production, staging',
      CLUSTER_INGRESS_NAMESPACE_LABEL: 'atrium.dev/ingress=true',
    }).cluster;
    assert.deepEqual(fromFile.adapter, { kind: 'kubernetes', source: { kubeconfigPath: '/etc/atrium/kubeconfig' } });
    assert.deepEqual(fromFile.environments, ['production', 'staging']);
    assert.deepEqual(fromFile.ingressNamespaceLabel, { key: 'atrium.dev/ingress', value: 'true' });
    assert.deepEqual(readWorkerConfig({ DATABASE_URL, KUBERNETES_IN_CLUSTER: 'true' }).cluster.adapter, {
      kind: 'kubernetes',
      source: { inCluster: true },
    });
  });

  it('names every bad cluster variable', () => {
    assert.deepEqual(
      problems({
        KUBERNETES_IN_CLUSTER: 'yes',
        CLUSTER_ENVIRONMENTS: 'production,Staging',
        CLUSTER_INGRESS_NAMESPACE_LABEL: 'no label here',
      }).map((problem) => problem.split(':')[0]),
      ['KUBERNETES_IN_CLUSTER', 'CLUSTER_ENVIRONMENTS', 'CLUSTER_INGRESS_NAMESPACE_LABEL'],
    );
    assert.match(
      problems({ CLUSTER_ENVIRONMENTS: 'prod,prod' })[0] ?? '',
      /CLUSTER_ENVIRONMENTS: names an environment twice/,
    );
    assert.match(
      problems({ CLUSTER_ENVIRONMENTS: 'a-very-long-environment' })[0] ?? '',
      /CLUSTER_ENVIRONMENTS: .*at most 15 characters/,
    );
    assert.match(
      problems({ KUBECONFIG: '/k', KUBERNETES_IN_CLUSTER: 'true' })[0] ?? '',
      /KUBERNETES_IN_CLUSTER: set either KUBECONFIG or KUBERNETES_IN_CLUSTER=true, not both/,
    );
  });

  it('keeps the longest slug and environment within a 63-character namespace name', () => {
    assert.equal(tenantNamespaceName('a'.repeat(40), 'b'.repeat(15)).length, 63);
  });
});
