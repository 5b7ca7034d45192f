// The objects Atrium applies to a tenant's namespace, built from the tenant and its plan.
// Pure functions: no client, no I/O, so what a namespace gets can be read (and tested)
// without an API server. The adapter (../kubernetes.ts) server-side applies each of them.
import type * as k8s from '@kubernetes/client-node';
import type { ClusterPlanLimits, TenantNamespaceRef } from '../port.ts';
import { tenantNamespaceName } from '../port.ts';

export const LABELS = {
  tenant: 'atrium.dev/tenant',
  tenantId: 'atrium.dev/tenant-id',
  environment: 'atrium.dev/environment',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
export const MANAGED_BY = 'atrium';

/** The name of the ResourceQuota and the LimitRange that carry a plan's limits. */
export const PLAN_OBJECT_NAME = 'atrium-plan';

/** The labels on every object Atrium creates for a tenant's environment. */
export function tenantLabels(ref: TenantNamespaceRef): Record<string, string> {
  return {
    [LABELS.tenant]: ref.slug,
    [LABELS.tenantId]: ref.tenantId,
    [LABELS.environment]: ref.environment,
    [LABELS.managedBy]: MANAGED_BY,
  };
}

/** Selects the namespaces Atrium manages for a tenant (any environment). */
export function tenantNamespaceSelector(slug: string): string {
  return `${LABELS.tenant}=${slug},${LABELS.managedBy}=${MANAGED_BY}`;
}

export function namespaceManifest(ref: TenantNamespaceRef): k8s.V1Namespace {
  const name = tenantNamespaceName(ref.slug, ref.environment);
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: tenantLabels(ref) } };
}

/** ResourceQuota + LimitRange `atrium-plan` from a plan's limits. */
export function resourceLimitManifests(
  ref: TenantNamespaceRef,
  limits: ClusterPlanLimits,
): { quota: k8s.V1ResourceQuota; limitRange: k8s.V1LimitRange } {
  const namespace = tenantNamespaceName(ref.slug, ref.environment);
  const metadata = { name: PLAN_OBJECT_NAME, namespace, labels: tenantLabels(ref) };
  return {
    quota: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata,
      spec: {
        hard: {
          'requests.cpu': limits.quota.requestsCpu,
          'requests.memory': limits.quota.requestsMemory,
          'limits.cpu': limits.quota.limitsCpu,
          'limits.memory': limits.quota.limitsMemory,
          'requests.storage': limits.quota.requestsStorage,
          pods: String(limits.quota.pods),
          services: String(limits.quota.services),
          persistentvolumeclaims: String(limits.quota.persistentVolumeClaims),
        },
      },
    },
    limitRange: {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata,
      spec: {
        limits: [
          {
            type: 'Container',
            defaultRequest: { ...limits.container.defaultRequest },
            _default: { ...limits.container.defaultLimit },
            max: { ...limits.container.max },
          },
        ],
      },
    },
  };
}

/**
 * The four NetworkPolicies, in the order they are applied: default deny (ingress + egress),
 * allow the same namespace, allow the ingress controller's namespaces (one label), allow DNS.
 */
export function networkPolicyManifests(
  ref: TenantNamespaceRef,
  ingressNamespaceLabel: { key: string; value: string },
): k8s.V1NetworkPolicy[] {
  const namespace = tenantNamespaceName(ref.slug, ref.environment);
  const labels = tenantLabels(ref);
  const policy = (name: string, spec: k8s.V1NetworkPolicySpec): k8s.V1NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels },
    spec,
  });
  const { key, value } = ingressNamespaceLabel;
  const everyPod = {};
  return [
    // No rules: everything not allowed by the policies below is dropped, both ways.
    policy('atrium-default-deny', { podSelector: everyPod, policyTypes: ['Ingress', 'Egress'] }),
    policy('atrium-allow-same-namespace', {
      podSelector: everyPod,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [{ podSelector: everyPod }] }],
      egress: [{ to: [{ podSelector: everyPod }] }],
    }),
    policy('atrium-allow-ingress-controller', {
      podSelector: everyPod,
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ namespaceSelector: { matchLabels: { [key]: value } } }] }],
    }),
    policy('atrium-allow-dns', {
      podSelector: everyPod,
      policyTypes: ['Egress'],
      egress: [
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
      ],
    }),
  ];
}

/** ServiceAccount + Role (read ConfigMaps and only the named Secrets) + RoleBinding, all named `identity.name`. */
export function workloadIdentityManifests(
  ref: TenantNamespaceRef,
  identity: { name: string; readableSecrets: string[] },
): { serviceAccount: k8s.V1ServiceAccount; role: k8s.V1Role; roleBinding: k8s.V1RoleBinding } {
  const namespace = tenantNamespaceName(ref.slug, ref.environment);
  const metadata = { name: identity.name, namespace, labels: tenantLabels(ref) };
  const rules: k8s.V1PolicyRule[] = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }];
  // Only the named secrets: an empty resourceNames list would mean every secret.
  if (identity.readableSecrets.length > 0)
    rules.push({
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: [...identity.readableSecrets],
      verbs: ['get'],
    });
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    role: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: identity.name },
      subjects: [{ kind: 'ServiceAccount', name: identity.name, namespace }],
    },
  };
}

/** An Opaque Secret holding exactly `data` (base64-encoded as the API wants it). */
export function secretManifest(
  ref: TenantNamespaceRef,
  secret: { name: string; data: Record<string, string> },
): k8s.V1Secret {
  const namespace = tenantNamespaceName(ref.slug, ref.environment);
  const data = Object.fromEntries(
    Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: secret.name, namespace, labels: tenantLabels(ref) },
    data,
  };
}
