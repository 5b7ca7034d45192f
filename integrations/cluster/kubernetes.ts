// The cluster port on a real Kubernetes API server (@kubernetes/client-node 2.x).
// Every ensure is a server-side apply with Atrium's field manager: it creates what is
// missing, brings drifted fields back, and changes nothing when all is in place, so
// activities can call it again after any crash.
//
// This file composes the pieces in kubernetes/: manifests.ts builds the objects (pure),
// api.ts makes every request and turns failures into port errors (errors.ts), workloads.ts
// scales to zero and back, deployments.ts applies a release's Deployment and reads its
// rollout, namespaces.ts reads namespaces and deletes them.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { KubernetesApi } from './kubernetes/api.ts';
import {
  applyReleaseDeployment,
  DEPLOYMENT_ANNOTATIONS,
  deploymentRef,
  readDeployment,
  rolloutStatusOf,
} from './kubernetes/deployments.ts';
import {
  LABELS,
  namespaceManifest,
  networkPolicyManifests,
  resourceLimitManifests,
  secretManifest,
  tenantNamespaceSelector,
  workloadIdentityManifests,
} from './kubernetes/manifests.ts';
import { deleteNamespaceAndWait, listNamespaces, readNamespaceStatus } from './kubernetes/namespaces.ts';
import {
  listWorkloads,
  restoreWorkloads,
  scaleDownWorkloads,
  suspendedFrom,
  WORKLOAD_KINDS,
} from './kubernetes/workloads.ts';
import type {
  AppliedDeployment,
  Cluster,
  ClusterObjectRef,
  ClusterOutcome,
  ClusterPlanLimits,
  NamespaceDescription,
  ReleaseDeployment,
  RolloutStatus,
  ScaledWorkload,
  TenantNamespaceRef,
} from './port.ts';
import { ClusterRequestError, tenantNamespaceName } from './port.ts';

export { DEPLOYMENT_ANNOTATIONS, DEPLOYMENT_LABELS } from './kubernetes/deployments.ts';
export { LABELS } from './kubernetes/manifests.ts';
export { SUSPENDED_REPLICAS_ANNOTATION } from './kubernetes/workloads.ts';

export type KubeConfigSource = { kubeconfigPath: string } | { inCluster: true };

export interface KubernetesClusterOptions {
  /** Namespaces whose pods may reach tenant pods (the ingress controller's), as one label. */
  ingressNamespaceLabel: { key: string; value: string };
  logger?: Logger;
}

/** Loads credentials from a kubeconfig file or the pod's service account. */
export function loadKubeConfig(source: KubeConfigSource): k8s.KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  if ('kubeconfigPath' in source) {
    try {
      kubeConfig.loadFromFile(source.kubeconfigPath);
    } catch (error) {
      throw new Error(
        `Cannot read the kubeconfig at ${source.kubeconfigPath} (KUBECONFIG): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  } else {
    kubeConfig.loadFromCluster();
  }
  if (!kubeConfig.getCurrentCluster())
    throw new Error('The kubeconfig names no current cluster (set current-context).');
  return kubeConfig;
}

export class KubernetesCluster implements Cluster {
  readonly kind = 'kubernetes';
  readonly target: string;
  private readonly api: KubernetesApi;
  private readonly options: KubernetesClusterOptions;

  constructor(kubeConfig: k8s.KubeConfig, options: KubernetesClusterOptions) {
    this.api = new KubernetesApi(kubeConfig);
    this.target = this.api.target;
    this.options = options;
  }

  async ensureNamespace(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef>> {
    const name = tenantNamespaceName(ref.slug, ref.environment);
    const applied = await this.api.apply(namespaceManifest(ref), 'namespaces');
    // Applying to a namespace that is being deleted succeeds, but nothing can be created in it.
    if (applied.status?.phase === 'Terminating') {
      throw new ClusterRequestError(
        `Namespace ${name} is still being deleted; it can be created again once it is gone (retry later).`,
        409,
        true,
      );
    }
    this.options.logger?.info('Namespace ensured', { namespace: name });
    return done(toRef(applied));
  }

  async ensureResourceLimits(
    ref: TenantNamespaceRef,
    limits: ClusterPlanLimits,
  ): Promise<ClusterOutcome<ClusterObjectRef[]>> {
    const manifests = resourceLimitManifests(ref, limits);
    const quota = await this.api.apply(manifests.quota, 'resourcequotas');
    const limitRange = await this.api.apply(manifests.limitRange, 'limitranges');
    return done([toRef(quota), toRef(limitRange)]);
  }

  async ensureNetworkPolicies(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef[]>> {
    const refs: ClusterObjectRef[] = [];
    for (const object of networkPolicyManifests(ref, this.options.ingressNamespaceLabel))
      refs.push(toRef(await this.api.apply(object, 'networkpolicies', 'networking.k8s.io')));
    return done(refs);
  }

  async ensureWorkloadIdentity(
    ref: TenantNamespaceRef,
    identity: { name: string; readableSecrets: string[] },
  ): Promise<ClusterOutcome<ClusterObjectRef[]>> {
    const manifests = workloadIdentityManifests(ref, identity);
    const serviceAccount = await this.api.apply(manifests.serviceAccount, 'serviceaccounts');
    const role = await this.api.apply(manifests.role, 'roles', 'rbac.authorization.k8s.io');
    const binding = await this.api.apply(manifests.roleBinding, 'rolebindings', 'rbac.authorization.k8s.io');
    return done([toRef(serviceAccount), toRef(role), toRef(binding)]);
  }

  async ensureSecret(
    ref: TenantNamespaceRef,
    secret: { name: string; data: Record<string, string> },
  ): Promise<ClusterOutcome<ClusterObjectRef>> {
    const applied = await this.api.apply(secretManifest(ref, secret), 'secrets');
    // Only the reference leaves this function: the response carries the values.
    return done(toRef(applied));
  }

  async readSecretData(ref: TenantNamespaceRef, name: string): Promise<ClusterOutcome<Record<string, string> | null>> {
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const action = { verb: 'get', resource: 'secrets', group: '', namespace };
    try {
      const secret = await this.api.call(action, () =>
        this.api.objects.read<k8s.V1Secret>({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } }),
      );
      return done(
        Object.fromEntries(
          Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
        ),
      );
    } catch (error) {
      if (error instanceof ClusterRequestError && error.status === 404) return done(null);
      throw error;
    }
  }

  async applyDeployment(
    ref: TenantNamespaceRef,
    release: ReleaseDeployment,
  ): Promise<ClusterOutcome<AppliedDeployment>> {
    const applied = await applyReleaseDeployment(this.api, ref, release);
    this.options.logger?.info('Deployment applied', {
      namespace: applied.metadata?.namespace,
      deployment: release.name,
      releaseId: release.releaseId,
      generation: applied.metadata?.generation,
    });
    return done({ ...deploymentRef(applied), releaseId: release.releaseId });
  }

  async readRollout(ref: TenantNamespaceRef, name: string): Promise<ClusterOutcome<RolloutStatus | null>> {
    const deployment = await readDeployment(this.api, tenantNamespaceName(ref.slug, ref.environment), name);
    return done(deployment ? rolloutStatusOf(deployment) : null);
  }

  async rollbackDeployment(
    ref: TenantNamespaceRef,
    previous: ReleaseDeployment,
  ): Promise<ClusterOutcome<AppliedDeployment & { rolledBackFrom: string | null }>> {
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const current = await readDeployment(this.api, namespace, previous.name);
    const currentRelease = current ? rolloutStatusOf(current).releaseId : null;
    // A retry after the rollback was applied finds the previous release already there:
    // keep the release it replaced the first time.
    const rolledBackFrom =
      currentRelease === previous.releaseId
        ? (current?.metadata?.annotations?.[DEPLOYMENT_ANNOTATIONS.rolledBackFrom] ?? null)
        : currentRelease;
    const applied = await applyReleaseDeployment(
      this.api,
      ref,
      previous,
      rolledBackFrom ? { [DEPLOYMENT_ANNOTATIONS.rolledBackFrom]: rolledBackFrom } : {},
    );
    this.options.logger?.info('Deployment rolled back', {
      namespace,
      deployment: previous.name,
      releaseId: previous.releaseId,
      rolledBackFrom,
    });
    return done({ ...deploymentRef(applied), releaseId: previous.releaseId, rolledBackFrom });
  }

  async scaleDownTenant(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>> {
    const scaled = await scaleDownWorkloads(this.api, await this.tenantNamespaces(slug));
    this.options.logger?.info('Tenant workloads scaled to zero', { slug, workloads: scaled.length });
    return done(scaled);
  }

  async restoreTenantScale(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>> {
    const restored = await restoreWorkloads(this.api, await this.tenantNamespaces(slug));
    this.options.logger?.info('Tenant workloads restored', { slug, workloads: restored.length });
    return done(restored);
  }

  async listTenantNamespaces(slug: string): Promise<ClusterOutcome<string[]>> {
    return done(await this.tenantNamespaces(slug));
  }

  async deleteNamespace(name: string, options: { timeoutMs: number }): Promise<ClusterOutcome<{ existed: boolean }>> {
    const { existed } = await deleteNamespaceAndWait(this.api, name, options.timeoutMs);
    this.options.logger?.info('Namespace deleted', { namespace: name, existed });
    return done({ existed });
  }

  async readNamespaceStatus(
    name: string,
  ): Promise<ClusterOutcome<{ found: boolean; httpStatus: number; phase: string | null }>> {
    return done(await readNamespaceStatus(this.api, name));
  }

  async describeTenant(slug: string): Promise<ClusterOutcome<NamespaceDescription[]>> {
    const namespaces = await listNamespaces(this.api, tenantNamespaceSelector(slug));
    const kinds: [apiVersion: string, kind: string, resource: string, group: string][] = [
      ['v1', 'ResourceQuota', 'resourcequotas', ''],
      ['v1', 'LimitRange', 'limitranges', ''],
      ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', 'networking.k8s.io'],
      ['v1', 'ServiceAccount', 'serviceaccounts', ''],
      ['rbac.authorization.k8s.io/v1', 'Role', 'roles', 'rbac.authorization.k8s.io'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', 'rbac.authorization.k8s.io'],
      ['v1', 'Secret', 'secrets', ''],
    ];
    const descriptions: NamespaceDescription[] = [];
    for (const namespace of namespaces) {
      const name = namespace.metadata?.name as string;
      const objects: NamespaceDescription['objects'] = [];
      for (const [apiVersion, kind, resource, group] of kinds) {
        const list = await this.api.call({ verb: 'list', resource, group, namespace: name }, () =>
          this.api.objects.list(apiVersion, kind, name),
        );
        // Names only: a Secret's data never leaves this loop.
        for (const item of list.items) objects.push({ kind, name: item.metadata?.name as string });
      }
      const workloads: NamespaceDescription['workloads'] = [];
      for (const kind of WORKLOAD_KINDS) {
        for (const workload of await listWorkloads(this.api, name, kind)) {
          workloads.push({
            kind,
            name: workload.metadata?.name as string,
            replicas: workload.spec?.replicas ?? 1,
            suspendedFrom: suspendedFrom(workload),
          });
        }
      }
      descriptions.push({
        name,
        environment: namespace.metadata?.labels?.[LABELS.environment] ?? null,
        phase: namespace.status?.phase ?? 'Unknown',
        objects,
        workloads,
      });
    }
    return done(descriptions);
  }

  private async tenantNamespaces(slug: string): Promise<string[]> {
    const namespaces = await listNamespaces(this.api, tenantNamespaceSelector(slug));
    return namespaces.map((namespace) => namespace.metadata?.name as string);
  }
}

function done<T>(result: T): ClusterOutcome<T> {
  return { status: 'done', result };
}

function toRef(object: k8s.KubernetesObject): ClusterObjectRef {
  return {
    kind: object.kind ?? 'Unknown',
    namespace: object.metadata?.namespace ?? null,
    name: object.metadata?.name ?? '',
    uid: object.metadata?.uid ?? '',
  };
}
