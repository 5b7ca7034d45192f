// The objects the Kubernetes adapter applies for a tenant, built without an API server:
// labels, the plan's quota and container limits, the network policies' selectors, the
// workload identity's rules and the Secret's encoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LABELS,
  namespaceManifest,
  networkPolicyManifests,
  resourceLimitManifests,
  secretManifest,
  tenantLabels,
  tenantNamespaceSelector,
  workloadIdentityManifests,
} from '../../integrations/cluster/kubernetes/manifests.ts';
import type { TenantNamespaceRef } from '../../integrations/cluster/port.ts';
import { PLANS } from '../../workflows/shared/plans.ts';

const REF: TenantNamespaceRef = {
  tenantId: '6f1c2a54-1111-4a4a-9c9c-0123456789ab',
  slug: 'acme',
  environment: 'staging',
};
const NAMESPACE = 'tenant-acme-staging';
const EXPECTED_LABELS = {
  'atrium.dev/tenant': 'acme',
  'atrium.dev/tenant-id': '6f1c2a54-1111-4a4a-9c9c-0123456789ab',
  'atrium.dev/environment': 'staging',
  'app.kubernetes.io/managed-by': 'atrium',
};
const INGRESS = { key: 'kubernetes.io/metadata.name', value: 'ingress-nginx' };

describe('Kubernetes manifests', () => {
  it('labels every object with the tenant, its id, the environment and Atrium as manager', () => {
    assert.deepEqual(tenantLabels(REF), EXPECTED_LABELS);
    assert.equal(tenantNamespaceSelector('acme'), 'atrium.dev/tenant=acme,app.kubernetes.io/managed-by=atrium');
    assert.equal(LABELS.environment, 'atrium.dev/environment');
  });

  it('names the namespace tenant-<slug>-<environment>, with the tenant labels', () => {
    assert.deepEqual(namespaceManifest(REF), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE, labels: EXPECTED_LABELS },
    });
  });

  for (const plan of ['free', 'team', 'enterprise'] as const) {
    it(`carries the ${plan} plan's quota and container limits in atrium-plan`, () => {
      const limits = PLANS[plan].cluster;
      const { quota, limitRange } = resourceLimitManifests(REF, limits);
      for (const object of [quota, limitRange]) {
        assert.equal(object.metadata?.name, 'atrium-plan');
        assert.equal(object.metadata?.namespace, NAMESPACE);
        assert.deepEqual(object.metadata?.labels, EXPECTED_LABELS);
      }
      assert.equal(quota.kind, 'ResourceQuota');
      assert.deepEqual(quota.spec?.hard, {
        'requests.cpu': limits.quota.requestsCpu,
        'requests.memory': limits.quota.requestsMemory,
        'limits.cpu': limits.quota.limitsCpu,
        'limits.memory': limits.quota.limitsMemory,
        'requests.storage': limits.quota.requestsStorage,
        pods: String(limits.quota.pods),
        services: String(limits.quota.services),
        persistentvolumeclaims: String(limits.quota.persistentVolumeClaims),
      });
      assert.equal(limitRange.kind, 'LimitRange');
      assert.deepEqual(limitRange.spec?.limits, [
        {
          type: 'Container',
          defaultRequest: limits.container.defaultRequest,
          _default: limits.container.defaultLimit,
          max: limits.container.max,
        },
      ]);
    });
  }

  it('writes the team plan as the numbers plans.ts gives it', () => {
    const { quota, limitRange } = resourceLimitManifests(REF, PLANS.team.cluster);
    assert.deepEqual(quota.spec?.hard, {
      'requests.cpu': '4',
      'requests.memory': '8Gi',
      'limits.cpu': '8',
      'limits.memory': '16Gi',
      'requests.storage': '50Gi',
      pods: '50',
      services: '20',
      persistentvolumeclaims: '10',
    });
    assert.deepEqual(limitRange.spec?.limits[0]?.max, { cpu: '2', memory: '4Gi' });
  });

  it('denies by default and allows only the same namespace, the ingress controller and DNS', () => {
    const policies = networkPolicyManifests(REF, INGRESS);
    assert.deepEqual(
      policies.map((policy) => policy.metadata?.name),
      ['atrium-default-deny', 'atrium-allow-same-namespace', 'atrium-allow-ingress-controller', 'atrium-allow-dns'],
    );
    for (const policy of policies) {
      assert.equal(policy.apiVersion, 'networking.k8s.io/v1');
      assert.equal(policy.kind, 'NetworkPolicy');
      assert.equal(policy.metadata?.namespace, NAMESPACE);
      assert.deepEqual(policy.metadata?.labels, EXPECTED_LABELS);
      assert.deepEqual(policy.spec?.podSelector, {}, 'each policy selects every pod of the namespace');
    }
    const [deny, same, ingress, dns] = policies;
    assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    assert.deepEqual(same?.spec?.ingress, [{ _from: [{ podSelector: {} }] }]);
    assert.deepEqual(same?.spec?.egress, [{ to: [{ podSelector: {} }] }]);
    assert.deepEqual(ingress?.spec?.policyTypes, ['Ingress']);
    assert.deepEqual(ingress?.spec?.ingress, [
      { _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] },
    ]);
    assert.deepEqual(dns?.spec?.policyTypes, ['Egress']);
    assert.deepEqual(dns?.spec?.egress, [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
  });

  it('takes the ingress controller namespace label from configuration', () => {
    const ingress = networkPolicyManifests(REF, { key: 'atrium.dev/ingress', value: 'yes' })[2];
    assert.deepEqual(ingress?.spec?.ingress?.[0]?._from, [
      { namespaceSelector: { matchLabels: { 'atrium.dev/ingress': 'yes' } } },
    ]);
  });

  it('lets the workload identity read ConfigMaps and only the named Secrets', () => {
    const { serviceAccount, role, roleBinding } = workloadIdentityManifests(REF, {
      name: 'atrium-workload',
      readableSecrets: ['atrium-database'],
    });
    for (const object of [serviceAccount, role, roleBinding]) {
      assert.equal(object.metadata?.name, 'atrium-workload');
      assert.equal(object.metadata?.namespace, NAMESPACE);
      assert.deepEqual(object.metadata?.labels, EXPECTED_LABELS);
    }
    assert.equal(serviceAccount.kind, 'ServiceAccount');
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['atrium-database'], verbs: ['get'] },
    ]);
    assert.deepEqual(roleBinding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'atrium-workload',
    });
    assert.deepEqual(roleBinding.subjects, [{ kind: 'ServiceAccount', name: 'atrium-workload', namespace: NAMESPACE }]);
  });

  it('grants no Secret at all when none is named (an empty resourceNames would mean every one)', () => {
    const { role } = workloadIdentityManifests(REF, { name: 'atrium-workload', readableSecrets: [] });
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }]);
  });

  it('encodes the Secret values in base64 in an Opaque Secret', () => {
    const secret = secretManifest(REF, { name: 'atrium-database', data: { username: 'acme', password: 'pä$$ word' } });
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.type, 'Opaque');
    assert.deepEqual(secret.metadata, { name: 'atrium-database', namespace: NAMESPACE, labels: EXPECTED_LABELS });
    assert.deepEqual(secret.data, {
      username: Buffer.from('acme').toString('base64'),
      password: Buffer.from('pä$$ word', 'utf8').toString('base64'),
    });
    assert.equal(Buffer.from(secret.data?.password, 'base64').toString('utf8'), 'pä$$ word');
  });
});
