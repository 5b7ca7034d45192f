// The cluster port on a real Kubernetes API server (@kubernetes/client-node 2.x).
// Every ensure is a server-side apply with Atrium's field manager: it creates what is
// missing, brings drifted fields back, and changes nothing when all is in place, so
// activities can call it again after any crash.
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type {
  Cluster,
  ClusterObjectRef,
  ClusterOutcome,
  ClusterPlanLimits,
  NamespaceDescription,
  ScaledWorkload,
  TenantNamespaceRef,
} from './port.ts';
import {
  ClusterAuthenticationError,
  ClusterError,
  ClusterPermissionError,
  ClusterRequestError,
  ClusterTimeoutError,
  ClusterUnreachableError,
  tenantNamespaceName,
} from './port.ts';

export type KubeConfigSource = { kubeconfigPath: string } | { inCluster: true };

export interface KubernetesClusterOptions {
  /** Namespaces whose pods may reach tenant pods (the ingress controller's), as one label. */
  ingressNamespaceLabel: { key: string; value: string };
  logger?: Logger;
}

const FIELD_MANAGER = 'atrium';
export const LABELS = {
  tenant: 'atrium.dev/tenant',
  tenantId: 'atrium.dev/tenant-id',
  environment: 'atrium.dev/environment',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
/** On a suspended Deployment/StatefulSet: the replica count to restore. */
export const SUSPENDED_REPLICAS_ANNOTATION = 'atrium.dev/suspended-replicas';
const MANAGED_BY = 'atrium';
const WATCH_RETRY_PAUSE_MS = 250;

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;
type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
type Workload = k8s.V1Deployment | k8s.V1StatefulSet;
interface WorkloadChange {
  annotations: Record<string, string | null>;
  replicas: number;
}
const WORKLOAD_UPDATE_ATTEMPTS = 5;

/** What a request was trying to do, so a 403 can name the permission. */
interface Action {
  verb: string;
  resource: string;
  group: string;
  namespace: string | null;
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
  private readonly user: string;
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly watcher: k8s.Watch;
  private readonly options: KubernetesClusterOptions;

  constructor(kubeConfig: k8s.KubeConfig, options: KubernetesClusterOptions) {
    this.target = kubeConfig.getCurrentCluster()?.server ?? '(no server)';
    this.user = kubeConfig.getCurrentUser()?.name ?? '(unnamed user)';
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    this.watcher = new k8s.Watch(kubeConfig);
    this.options = options;
  }

  async ensureNamespace(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef>> {
    const name = tenantNamespaceName(ref.slug, ref.environment);
    const applied = await this.apply<k8s.V1Namespace>(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: this.labels(ref) } },
      'namespaces',
    );
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
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const metadata = { name: 'atrium-plan', namespace, labels: this.labels(ref) };
    const quota = await this.apply<k8s.V1ResourceQuota>(
      {
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
      'resourcequotas',
    );
    const limitRange = await this.apply<k8s.V1LimitRange>(
      {
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
      'limitranges',
    );
    return done([toRef(quota), toRef(limitRange)]);
  }

  async ensureNetworkPolicies(ref: TenantNamespaceRef): Promise<ClusterOutcome<ClusterObjectRef[]>> {
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const labels = this.labels(ref);
    const policy = (name: string, spec: k8s.V1NetworkPolicySpec): k8s.V1NetworkPolicy => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace, labels },
      spec,
    });
    const { key, value } = this.options.ingressNamespaceLabel;
    const everyPod = {};
    const policies = [
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
    const refs: ClusterObjectRef[] = [];
    for (const object of policies) refs.push(toRef(await this.apply(object, 'networkpolicies', 'networking.k8s.io')));
    return done(refs);
  }

  async ensureWorkloadIdentity(
    ref: TenantNamespaceRef,
    identity: { name: string; readableSecrets: string[] },
  ): Promise<ClusterOutcome<ClusterObjectRef[]>> {
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const metadata = { name: identity.name, namespace, labels: this.labels(ref) };
    const rules: k8s.V1PolicyRule[] = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }];
    // Only the named secrets: an empty resourceNames list would mean every secret.
    if (identity.readableSecrets.length > 0)
      rules.push({
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [...identity.readableSecrets],
        verbs: ['get'],
      });
    const serviceAccount = await this.apply<k8s.V1ServiceAccount>(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
      'serviceaccounts',
    );
    const role = await this.apply<k8s.V1Role>(
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules },
      'roles',
      'rbac.authorization.k8s.io',
    );
    const binding = await this.apply<k8s.V1RoleBinding>(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: identity.name },
        subjects: [{ kind: 'ServiceAccount', name: identity.name, namespace }],
      },
      'rolebindings',
      'rbac.authorization.k8s.io',
    );
    return done([toRef(serviceAccount), toRef(role), toRef(binding)]);
  }

  async ensureSecret(
    ref: TenantNamespaceRef,
    secret: { name: string; data: Record<string, string> },
  ): Promise<ClusterOutcome<ClusterObjectRef>> {
    const namespace = tenantNamespaceName(ref.slug, ref.environment);
    const data = Object.fromEntries(
      Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
    );
    const applied = await this.apply<k8s.V1Secret>(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: { name: secret.name, namespace, labels: this.labels(ref) },
        data,
      },
      'secrets',
    );
    // Only the reference leaves this function: the response carries the values.
    return done(toRef(applied));
  }

  async scaleDownTenant(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>> {
    const scaled: ScaledWorkload[] = [];
    for (const namespace of await this.tenantNamespaces(slug)) {
      for (const kind of WORKLOAD_KINDS) {
        for (const workload of await this.listWorkloads(namespace, kind)) {
          const previousReplicas = await this.updateWorkload(kind, workload, (current) => {
            const recorded = suspendedFrom(current);
            // Already suspended (a retry): keep the first recorded count, it is the real one.
            const previous = recorded ?? current.spec?.replicas ?? 1;
            const change =
              recorded === null || (current.spec?.replicas ?? 1) !== 0
                ? { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: String(previous) }, replicas: 0 }
                : null;
            return { change, result: previous };
          });
          scaled.push({ kind, namespace, name: workload.metadata?.name as string, previousReplicas, replicas: 0 });
        }
      }
    }
    this.options.logger?.info('Tenant workloads scaled to zero', { slug, workloads: scaled.length });
    return done(scaled);
  }

  async restoreTenantScale(slug: string): Promise<ClusterOutcome<ScaledWorkload[]>> {
    const restored: ScaledWorkload[] = [];
    for (const namespace of await this.tenantNamespaces(slug)) {
      for (const kind of WORKLOAD_KINDS) {
        for (const workload of await this.listWorkloads(namespace, kind)) {
          const recorded = await this.updateWorkload(kind, workload, (current) => {
            const count = suspendedFrom(current);
            // Not suspended by Atrium (created later, or already restored by an earlier attempt).
            if (count === null) return { change: null, result: null };
            return {
              change: { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: null }, replicas: count },
              result: count,
            };
          });
          if (recorded === null) continue;
          const name = workload.metadata?.name as string;
          restored.push({ kind, namespace, name, previousReplicas: recorded, replicas: recorded });
        }
      }
    }
    this.options.logger?.info('Tenant workloads restored', { slug, workloads: restored.length });
    return done(restored);
  }

  async listTenantNamespaces(slug: string): Promise<ClusterOutcome<string[]>> {
    return done(await this.tenantNamespaces(slug));
  }

  async deleteNamespace(name: string, options: { timeoutMs: number }): Promise<ClusterOutcome<{ existed: boolean }>> {
    const deadline = Date.now() + options.timeoutMs;
    const action: Action = { verb: 'delete', resource: 'namespaces', group: '', namespace: null };
    let existed = true;
    try {
      await this.call(action, () => this.objects.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    } catch (error) {
      if (!(error instanceof ClusterRequestError && error.status === 404)) throw error;
      existed = false;
    }
    // A 404 on delete can still mean "gone a moment ago"; waiting is a cheap list then.
    await this.waitUntilGone(name, deadline, options.timeoutMs);
    this.options.logger?.info('Namespace deleted', { namespace: name, existed });
    return done({ existed });
  }

  async readNamespaceStatus(
    name: string,
  ): Promise<ClusterOutcome<{ found: boolean; httpStatus: number; phase: string | null }>> {
    const action: Action = { verb: 'get', resource: 'namespaces', group: '', namespace: null };
    try {
      const namespace = await this.call(action, () =>
        this.objects.read<k8s.V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
      );
      return done({ found: true, httpStatus: 200, phase: namespace.status?.phase ?? null });
    } catch (error) {
      if (error instanceof ClusterRequestError && error.status === 404)
        return done({ found: false, httpStatus: 404, phase: null });
      throw error;
    }
  }

  async describeTenant(slug: string): Promise<ClusterOutcome<NamespaceDescription[]>> {
    const namespaces = await this.listNamespaces(`${LABELS.tenant}=${slug},${LABELS.managedBy}=${MANAGED_BY}`);
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
        const list = await this.call({ verb: 'list', resource, group, namespace: name }, () =>
          this.objects.list(apiVersion, kind, name),
        );
        // Names only: a Secret's data never leaves this loop.
        for (const item of list.items) objects.push({ kind, name: item.metadata?.name as string });
      }
      const workloads: NamespaceDescription['workloads'] = [];
      for (const kind of WORKLOAD_KINDS) {
        for (const workload of await this.listWorkloads(name, kind)) {
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

  private labels(ref: TenantNamespaceRef): Record<string, string> {
    return {
      [LABELS.tenant]: ref.slug,
      [LABELS.tenantId]: ref.tenantId,
      [LABELS.environment]: ref.environment,
      [LABELS.managedBy]: MANAGED_BY,
    };
  }

  /** Server-side apply, forcing ownership of the fields Atrium sets (it owns these objects). */
  private async apply<T extends k8s.KubernetesObject>(object: T, resource: string, group = ''): Promise<T> {
    const action: Action = { verb: 'patch', resource, group, namespace: object.metadata?.namespace ?? null };
    return this.call(action, () =>
      this.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply),
    );
  }

  private async listNamespaces(labelSelector: string): Promise<k8s.V1Namespace[]> {
    const list = await this.call({ verb: 'list', resource: 'namespaces', group: '', namespace: null }, () =>
      this.objects.list<k8s.V1Namespace>(
        'v1',
        'Namespace',
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      ),
    );
    return [...list.items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }

  private async tenantNamespaces(slug: string): Promise<string[]> {
    const namespaces = await this.listNamespaces(`${LABELS.tenant}=${slug},${LABELS.managedBy}=${MANAGED_BY}`);
    return namespaces.map((namespace) => namespace.metadata?.name as string);
  }

  private async listWorkloads(namespace: string, kind: WorkloadKind): Promise<Workload[]> {
    const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
    const list = await this.call({ verb: 'list', resource, group: 'apps', namespace }, () =>
      this.objects.list<Workload>('apps/v1', kind, namespace),
    );
    return list.items;
  }

  /**
   * Decides a change from the workload as read and applies it in one merge patch (replica
   * count and annotation together) that carries the read resourceVersion. Controllers update
   * workloads all the time, so a 409 (changed since the read) means: read again and decide
   * again, a few times, rather than record a stale count.
   */
  private async updateWorkload<R>(
    kind: WorkloadKind,
    workload: Workload,
    decide: (current: Workload) => { change: WorkloadChange | null; result: R },
  ): Promise<R> {
    let current = workload;
    for (let attempt = 1; ; attempt += 1) {
      const { change, result } = decide(current);
      if (!change) return result;
      try {
        await this.patchWorkload(kind, current, change);
        return result;
      } catch (error) {
        if (!(error instanceof ClusterRequestError && error.status === 409) || attempt >= WORKLOAD_UPDATE_ATTEMPTS)
          throw error;
      }
      current = await this.readWorkload(kind, current);
    }
  }

  private async readWorkload(kind: WorkloadKind, workload: Workload): Promise<Workload> {
    const namespace = workload.metadata?.namespace as string;
    const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
    return this.call({ verb: 'get', resource, group: 'apps', namespace }, () =>
      this.objects.read<Workload>({
        apiVersion: 'apps/v1',
        kind,
        metadata: { name: workload.metadata?.name as string, namespace },
      }),
    );
  }

  private async patchWorkload(kind: WorkloadKind, workload: Workload, change: WorkloadChange): Promise<void> {
    const namespace = workload.metadata?.namespace as string;
    const patch = {
      apiVersion: 'apps/v1',
      kind,
      metadata: {
        name: workload.metadata?.name,
        namespace,
        resourceVersion: workload.metadata?.resourceVersion,
        annotations: change.annotations,
      },
      spec: { replicas: change.replicas },
    } as k8s.KubernetesObject;
    const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
    await this.call({ verb: 'patch', resource, group: 'apps', namespace }, () =>
      this.objects.patch(patch, undefined, undefined, FIELD_MANAGER, undefined, k8s.PatchStrategy.MergePatch),
    );
  }

  /**
   * Lists the namespace by name and, while it is there, watches it from that list's
   * resourceVersion until a DELETED event. A watch the server or client closes early
   * (they time out after a while) starts over with a fresh list.
   */
  private async waitUntilGone(name: string, deadline: number, timeoutMs: number): Promise<void> {
    const fieldSelector = `metadata.name=${name}`;
    const listAction: Action = { verb: 'list', resource: 'namespaces', group: '', namespace: null };
    for (;;) {
      const list = await this.call(listAction, () =>
        this.objects.list<k8s.V1Namespace>(
          'v1',
          'Namespace',
          undefined,
          undefined,
          undefined,
          undefined,
          fieldSelector,
        ),
      );
      const current = list.items[0];
      if (!current) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.finalizeTimeout(current, timeoutMs);
      const deleted = await this.watchForDeletion(name, list.metadata?.resourceVersion, remaining);
      if (deleted) return;
      // A watch that ends at once (server restarting) must not turn this into a busy loop.
      await sleep(Math.min(WATCH_RETRY_PAUSE_MS, Math.max(0, deadline - Date.now())));
    }
  }

  /** Resolves true on the namespace's DELETED event, false when the watch ends or the time is up. */
  private watchForDeletion(name: string, resourceVersion: string | undefined, remainingMs: number): Promise<boolean> {
    const action: Action = { verb: 'watch', resource: 'namespaces', group: '', namespace: null };
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      const finish = (outcome: boolean | Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        controller?.abort();
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const timer = setTimeout(() => finish(false), remainingMs);
      this.watcher
        .watch(
          '/api/v1/namespaces',
          { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: Math.ceil(remainingMs / 1000) },
          (type) => {
            if (type === 'DELETED') finish(true);
            // ERROR is usually "resourceVersion too old": end this watch and list again.
            else if (type === 'ERROR') finish(false);
          },
          (error: unknown) => {
            if (!error || isAbort(error)) finish(false);
            else finish(this.translate(error, action));
          },
        )
        .then((abort) => {
          controller = abort;
          if (settled) abort.abort();
        })
        .catch((error: unknown) => finish(this.translate(error, action)));
    });
  }

  private finalizeTimeout(namespace: k8s.V1Namespace, timeoutMs: number): ClusterTimeoutError {
    const name = namespace.metadata?.name as string;
    const waitingOn = [
      ...(namespace.spec?.finalizers ?? []).map((finalizer) => `finalizer ${finalizer}`),
      ...(namespace.status?.conditions ?? [])
        .filter((condition) => condition.status === 'True' && condition.message)
        .map((condition) => `${condition.type}: ${condition.message}`),
    ];
    return new ClusterTimeoutError(
      `Namespace ${name} was still ${namespace.status?.phase ?? 'present'} after ${Math.round(timeoutMs / 1000)} s` +
        (waitingOn.length > 0 ? ` (waiting on ${waitingOn.join('; ')})` : '') +
        '. Check that kube-controller-manager runs (it finalizes namespaces) and that no finalizer is stuck.',
    );
  }

  private async call<T>(action: Action, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.translate(error, action);
    }
  }

  /** Turns an API or network failure into a port error whose message says what to fix. */
  private translate(error: unknown, action: Action): Error {
    if (error instanceof ClusterError) return error;
    const status = statusCodeOf(error);
    if (status !== null) {
      const message = serverMessage(error);
      if (status === 401) {
        return new ClusterAuthenticationError(
          `The Kubernetes API server at ${this.target} rejected the credentials of user "${this.user}" (401 Unauthorized): ` +
            'the token or client certificate in the kubeconfig is invalid or expired; replace it.',
        );
      }
      if (status === 403 && /being terminated/.test(message)) {
        return new ClusterRequestError(
          `Namespace ${action.namespace ?? ''} is being deleted, so nothing can be created in it; retry once it is gone.`,
          403,
          true,
        );
      }
      if (status === 403) return this.permissionError(action, message);
      const retryable = status === 409 || status === 429 || status >= 500;
      return new ClusterRequestError(
        `Kubernetes refused to ${action.verb} ${action.resource}${action.namespace ? ` in namespace ${action.namespace}` : ''} ` +
          `(${status})${message ? `: ${message}` : ''}`,
        status,
        retryable,
      );
    }
    const code = networkCode(error);
    if (code !== null) {
      const tls = /CERT|SELF_SIGNED|TLS|SSL/.test(code);
      return new ClusterUnreachableError(
        tls
          ? `The TLS certificate of the Kubernetes API server at ${this.target} is not trusted (${code}): ` +
              'check certificate-authority-data in the kubeconfig.'
          : `Cannot reach the Kubernetes API server at ${this.target} (${code}): check the server address in the kubeconfig ` +
              'and that the API server is running.',
        !tls,
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  private permissionError(action: Action, message: string): ClusterPermissionError {
    // The API server's message is authoritative ("cannot create resource "namespaces" in API
    // group "" at the cluster scope"): apply may need create where the request said patch.
    const parsed = /cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(
      message,
    );
    const verb = parsed?.[1] ?? action.verb;
    const resource = parsed?.[2] ?? action.resource;
    const group = parsed ? (parsed[3] as string) : action.group;
    // Namespaces are cluster-scoped, though the server reports one "in the namespace" of its own name.
    const namespace = resource === 'namespaces' ? null : parsed ? (parsed[4] ?? null) : action.namespace;
    const where = namespace ? `in namespace ${namespace}` : 'cluster-wide';
    // The identity the server saw (a service account, say) beats the kubeconfig entry's name.
    const user = /User "([^"]+)"/.exec(message)?.[1] ?? this.user;
    // Tenant namespaces come and go, so a per-namespace Role is rarely the fix.
    const apply = verb === 'patch' || verb === 'create' ? ' (server-side apply needs both "create" and "patch")' : '';
    return new ClusterPermissionError(
      `The kubeconfig's user "${user}" may not ${verb} ${resource}${group ? ` (API group ${group})` : ''} ${where}: ` +
        `grant it "${verb}" on "${resource}"${apply} with a ClusterRole and a ClusterRoleBinding ` +
        `(docs/operations.md lists everything Atrium needs).${message ? ` The API server said: ${message}` : ''}`,
      { verb, resource, namespace },
    );
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

function suspendedFrom(workload: k8s.KubernetesObject): number | null {
  const value = workload.metadata?.annotations?.[SUSPENDED_REPLICAS_ANNOTATION];
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

function statusCodeOf(error: unknown): number | null {
  if (error instanceof k8s.ApiException) return error.code;
  // Watch failures carry the HTTP status as statusCode.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' ? statusCode : null;
}

/** The `message` of the Status object the API server answered with (never request data). */
function serverMessage(error: unknown): string {
  if (!(error instanceof k8s.ApiException)) return '';
  const body: unknown = error.body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | null;
    return typeof parsed?.message === 'string' ? parsed.message : '';
  } catch {
    return '';
  }
}

/** ECONNREFUSED & co. from undici's `fetch failed` (the code sits on a cause). */
function networkCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(E[A-Z_]+|UND_ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(code)
    )
      return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
