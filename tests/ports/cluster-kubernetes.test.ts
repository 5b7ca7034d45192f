// @needs-servers: kube
// The cluster port's contract against the real local Kubernetes control plane
// (kube-apiserver + etcd + kube-controller-manager + kube-scheduler, with kwok playing the
// kubelet of fake nodes, from scripts/servers.sh), and a check
// that the ClusterRole docs/operations.md tells operators to grant is enough for all of it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { ClusterConfig } from '../../config/cluster.ts';
import type { ClusterOutcome, TenantNamespaceRef } from '../../integrations/cluster/port.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import { createCluster } from '../../integrations/cluster/select.ts';
import { uniqueSlug } from '../support/api-client.ts';
import { kubeServer } from '../support/servers.ts';
import { PLAN_LIMITS, registerClusterContract, release } from './cluster.contract.ts';

const { kubeconfig, limitedKubeconfig } = kubeServer();
const config: ClusterConfig = {
  adapter: { kind: 'kubernetes', source: { kubeconfigPath: kubeconfig } },
  environments: ['production', 'staging'],
  ingressNamespaceLabel: { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' },
};

registerClusterContract('kubernetes', { config, limitedKubeconfig });

/** The ClusterRole in the runbook's "What the kubeconfig's user needs". */
function documentedClusterRole(): k8s.V1ClusterRole {
  const runbook = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = runbook.slice(runbook.indexOf("**What the kubeconfig's user needs.**"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, 'docs/operations.md has the ClusterRole');
  return k8s.loadYaml<k8s.V1ClusterRole>(yaml);
}

function done<T>(outcome: ClusterOutcome<T>): T {
  assert.equal(outcome.status, 'done', JSON.stringify(outcome));
  return (outcome as { result: T }).result;
}

describe('the ClusterRole in docs/operations.md', () => {
  it('is all the Kubernetes adapter needs for a whole tenant lifecycle', async () => {
    const admin = new k8s.KubeConfig();
    admin.loadFromFile(kubeconfig);
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const apps = admin.makeApiClient(k8s.AppsV1Api);
    const id = randomUUID().slice(0, 8);
    const home = `ct-rbac-${id}`;
    const roleName = `atrium-control-plane-${id}`;
    const folder = mkdtempSync(join(tmpdir(), 'atrium-cluster-rbac-'));
    try {
      // A service account holding exactly the documented ClusterRole, cluster-wide.
      const role = documentedClusterRole();
      await rbac.createClusterRole({ body: { ...role, metadata: { name: roleName } } });
      await core.createNamespace({ body: { metadata: { name: home } } });
      await core.createNamespacedServiceAccount({ namespace: home, body: { metadata: { name: 'atrium' } } });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name: roleName },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
          subjects: [{ kind: 'ServiceAccount', name: 'atrium', namespace: home }],
        },
      });
      const tokenRequest = await core.createNamespacedServiceAccountToken({
        name: 'atrium',
        namespace: home,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const exported = JSON.parse(admin.exportConfig()) as { users: { user: Record<string, unknown> }[] };
      for (const user of exported.users) user.user = { token: tokenRequest.status?.token };
      const path = join(folder, 'atrium.kubeconfig');
      writeFileSync(path, JSON.stringify(exported));
      const cluster = createCluster({ ...config, adapter: { kind: 'kubernetes', source: { kubeconfigPath: path } } });

      const slug = uniqueSlug('ct-rbac');
      const ref: TenantNamespaceRef = { tenantId: randomUUID(), slug, environment: 'production' };
      const namespace = tenantNamespaceName(slug, 'production');
      done(await cluster.ensureNamespace(ref));
      done(await cluster.ensureResourceLimits(ref, PLAN_LIMITS));
      done(await cluster.ensureNetworkPolicies(ref));
      done(await cluster.ensureSecret(ref, { name: 'database', data: { password: 'rbac-check' } }));
      assert.deepEqual(done(await cluster.readSecretData(ref, 'database')), { password: 'rbac-check' });
      done(await cluster.ensureWorkloadIdentity(ref, { name: 'workload', readableSecrets: ['database'] }));
      const labels = { app: 'web' };
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
            },
          },
        },
      });
      assert.equal(done(await cluster.scaleDownTenant(slug)).length, 1);
      assert.equal(done(await cluster.restoreTenantScale(slug))[0]?.replicas, 2);
      // A release's Deployment: created by server-side apply, read, and rolled back.
      const app = release('rbac-1', { name: 'app', replicas: 1 });
      done(await cluster.applyDeployment(ref, app));
      done(await cluster.applyDeployment(ref, release('rbac-2', { name: 'app', replicas: 1 })));
      assert.equal(done(await cluster.readRollout(ref, 'app'))?.releaseId, 'rbac-2');
      assert.equal(done(await cluster.rollbackDeployment(ref, app)).rolledBackFrom, 'rbac-2');
      assert.equal(done(await cluster.describeTenant(slug)).length, 1);
      assert.deepEqual(done(await cluster.deleteNamespace(namespace, { timeoutMs: 90_000 })), { existed: true });
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await rbac.deleteClusterRoleBinding({ name: roleName }).catch(() => {});
      await rbac.deleteClusterRole({ name: roleName }).catch(() => {});
      await core.deleteNamespace({ name: home }).catch(() => {});
    }
  });
});
