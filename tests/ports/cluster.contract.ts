// The cluster port's contract: the behaviour every adapter shows, registered once per
// adapter by tests/ports/cluster-<adapter>.test.ts. An adapter that manages a real
// cluster is checked against the API server with a client of its own (what it reports
// must be what exists); the none adapter must report every step as skipped and the same
// each time. Each run uses fresh tenant slugs and deletes its namespaces afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { ClusterConfig } from '../../config/cluster.ts';
import type {
  Cluster,
  ClusterOutcome,
  ClusterPlanLimits,
  ReleaseDeployment,
  RolloutStatus,
  TenantNamespaceRef,
} from '../../integrations/cluster/port.ts';
import {
  ClusterAuthenticationError,
  ClusterPermissionError,
  ClusterRequestError,
  ClusterTimeoutError,
  ClusterUnreachableError,
  NO_CLUSTER_REASON,
  tenantNamespaceName,
} from '../../integrations/cluster/port.ts';
import { createCluster } from '../../integrations/cluster/select.ts';
import { freePort } from '../../scripts/free-port.ts';
import { uniqueSlug } from '../support/api-client.ts';

export const PLAN_LIMITS: ClusterPlanLimits = {
  // Canonical Kubernetes quantities, so what the server stores reads back unchanged.
  quota: {
    requestsCpu: '2',
    requestsMemory: '4Gi',
    limitsCpu: '4',
    limitsMemory: '8Gi',
    requestsStorage: '20Gi',
    pods: 20,
    services: 10,
    persistentVolumeClaims: 5,
  },
  container: {
    defaultRequest: { cpu: '100m', memory: '128Mi' },
    defaultLimit: { cpu: '500m', memory: '512Mi' },
    max: { cpu: '2', memory: '2Gi' },
  },
};

export interface ClusterContractOptions {
  /** Builds the adapter under test through select.ts, as the worker does. */
  config: ClusterConfig;
  /** Kubernetes only: a kubeconfig whose user may not create namespaces. */
  limitedKubeconfig?: string;
}

const DELETE_TIMEOUT_MS = 90_000;
/** How long a rollout on the local control plane (kube-scheduler + kwok) may take to settle. */
const ROLLOUT_TIMEOUT_MS = 90_000;

/** A release of the contract's test application; images are never pulled (kwok runs no container). */
export function release(releaseId: string, change: Partial<ReleaseDeployment> = {}): ReleaseDeployment {
  return {
    name: 'web',
    releaseId,
    image: `registry.invalid/acme/web:${releaseId}`,
    replicas: 2,
    env: { RELEASE: releaseId, LOG_LEVEL: 'info' },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    progressDeadlineSeconds: 60,
    labels: { 'app.kubernetes.io/part-of': 'acme' },
    annotations: { 'atrium.dev/promoted-by': 'contract-test' },
    ...change,
  };
}

export function registerClusterContract(adapterName: string, options: ClusterContractOptions): void {
  const source = options.config.adapter.kind === 'kubernetes' ? options.config.adapter.source : null;
  const real = source !== null;
  const environments = options.config.environments;

  describe(`cluster port contract: ${adapterName}`, () => {
    let cluster: Cluster;
    let kube: {
      core: k8s.CoreV1Api;
      apps: k8s.AppsV1Api;
      networking: k8s.NetworkingV1Api;
      rbac: k8s.RbacAuthorizationV1Api;
      config: k8s.KubeConfig;
    } | null = null;
    const slugs: string[] = [];

    /** A fresh tenant for one test; its namespaces are deleted after the suite. */
    function newTenant(): { tenantId: string; slug: string; refs: TenantNamespaceRef[] } {
      const slug = uniqueSlug('ct');
      slugs.push(slug);
      const tenantId = randomUUID();
      return { tenantId, slug, refs: environments.map((environment) => ({ tenantId, slug, environment })) };
    }

    /** The result when the adapter manages a cluster; for one that does not, checks the skip and returns null. */
    async function expectDone<T>(outcome: Promise<ClusterOutcome<T>>): Promise<T | null> {
      const settled = await outcome;
      if (!real) {
        assert.deepEqual(settled, { status: 'skipped', reason: NO_CLUSTER_REASON });
        return null;
      }
      assert.equal(settled.status, 'done', `expected the step to run, got ${JSON.stringify(settled)}`);
      return settled.status === 'done' ? settled.result : null;
    }

    before(() => {
      cluster = createCluster(options.config);
      if (source) {
        const config = new k8s.KubeConfig();
        if ('kubeconfigPath' in source) config.loadFromFile(source.kubeconfigPath);
        else config.loadFromCluster();
        kube = {
          core: config.makeApiClient(k8s.CoreV1Api),
          apps: config.makeApiClient(k8s.AppsV1Api),
          networking: config.makeApiClient(k8s.NetworkingV1Api),
          rbac: config.makeApiClient(k8s.RbacAuthorizationV1Api),
          config,
        };
      }
    });

    after(async () => {
      if (!real) return;
      // Through the port, so cleanup also proves deleteNamespace on whatever a test left.
      await Promise.all(
        slugs.map(async (slug) => {
          const listed = await cluster.listTenantNamespaces(slug);
          if (listed.status !== 'done') return;
          for (const name of listed.result) await cluster.deleteNamespace(name, { timeoutMs: DELETE_TIMEOUT_MS });
        }),
      );
    });

    it('names the adapter and its target without credentials', () => {
      assert.equal(cluster.kind, real ? 'kubernetes' : 'none');
      if (real) assert.match(cluster.target, /^https?:\/\//);
      else assert.equal(cluster.target, NO_CLUSTER_REASON);
      assert.doesNotMatch(cluster.target, /token|password/i);
    });

    it('creates a namespace, a ResourceQuota and a NetworkPolicy, then deletes the namespace and sees it finalize', async () => {
      const { tenantId, slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      const name = tenantNamespaceName(slug, ref.environment);

      const namespace = await expectDone(cluster.ensureNamespace(ref));
      const limits = await expectDone(cluster.ensureResourceLimits(ref, PLAN_LIMITS));
      const policies = await expectDone(cluster.ensureNetworkPolicies(ref));
      if (!kube || !namespace || !limits || !policies) return;

      assert.equal(namespace.name, name);
      const stored = await kube.core.readNamespace({ name });
      assert.equal(stored.metadata?.uid, namespace.uid);
      assert.deepEqual(
        { ...stored.metadata?.labels, 'kubernetes.io/metadata.name': undefined },
        {
          'atrium.dev/tenant': slug,
          'atrium.dev/tenant-id': tenantId,
          'atrium.dev/environment': ref.environment,
          'app.kubernetes.io/managed-by': 'atrium',
          'kubernetes.io/metadata.name': undefined,
        },
      );
      await kube.core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace: name });
      const storedPolicies = await kube.networking.listNamespacedNetworkPolicy({ namespace: name });
      assert.equal(storedPolicies.items.length, 4);
      // Something inside, so finalization has content to remove.
      await kube.core.createNamespacedConfigMap({
        namespace: name,
        body: { metadata: { name: 'app-config' }, data: { mode: 'test' } },
      });

      // Watch the namespace independently of the adapter while it is deleted.
      const events: string[] = [];
      const watching = await new k8s.Watch(kube.config).watch(
        '/api/v1/namespaces',
        { fieldSelector: `metadata.name=${name}`, resourceVersion: stored.metadata?.resourceVersion },
        (type) => events.push(type),
        () => {},
      );
      try {
        const deleted = await expectDone(cluster.deleteNamespace(name, { timeoutMs: DELETE_TIMEOUT_MS }));
        assert.deepEqual(deleted, { existed: true });
        // Gone from the API, not just Terminating.
        await assert.rejects(
          kube.core.readNamespace({ name }),
          (error: unknown) => (error as k8s.ApiException<unknown>).code === 404,
        );
        const until = Date.now() + 5_000;
        while (!events.includes('DELETED') && Date.now() < until)
          await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(events.includes('MODIFIED'), `the watch saw the namespace terminate (events: ${events.join(', ')})`);
        assert.ok(events.includes('DELETED'), `the watch saw the namespace go (events: ${events.join(', ')})`);
      } finally {
        watching.abort();
      }

      // Deleting again is a success that says there was nothing.
      assert.deepEqual(await expectDone(cluster.deleteNamespace(name, { timeoutMs: DELETE_TIMEOUT_MS })), {
        existed: false,
      });
      assert.deepEqual(await expectDone(cluster.listTenantNamespaces(slug)), []);
    });

    it(
      'times out naming what holds a namespace, refuses to reuse it meanwhile, and finishes once released',
      { skip: !real },
      async () => {
        const core = kube?.core as k8s.CoreV1Api;
        const { slug, refs } = newTenant();
        const ref = refs[0] as TenantNamespaceRef;
        const name = tenantNamespaceName(slug, ref.environment);
        await expectDone(cluster.ensureNamespace(ref));
        // An object with a finalizer nobody removes keeps the namespace Terminating.
        await core.createNamespacedConfigMap({
          namespace: name,
          body: { metadata: { name: 'held', finalizers: ['atrium.dev/test-hold'] } },
        });

        await assert.rejects(cluster.deleteNamespace(name, { timeoutMs: 3_000 }), (error: unknown) => {
          assert.ok(error instanceof ClusterTimeoutError, `got ${String(error)}`);
          assert.equal(error.retryable, true);
          assert.match(error.message, new RegExp(`Namespace ${name} was still Terminating after 3 s`));
          assert.match(error.message, /kube-controller-manager/);
          return true;
        });
        // Once the namespace controller has looked, the error names the object holding it up.
        const until = Date.now() + 60_000;
        const finalizersRemaining = async () =>
          (await core.readNamespace({ name })).status?.conditions?.some(
            (condition) => condition.type === 'NamespaceFinalizersRemaining' && condition.status === 'True',
          );
        while (!(await finalizersRemaining()) && Date.now() < until)
          await new Promise((resolve) => setTimeout(resolve, 250));
        await assert.rejects(cluster.deleteNamespace(name, { timeoutMs: 500 }), (error: unknown) => {
          assert.ok(error instanceof ClusterTimeoutError, `got ${String(error)}`);
          assert.match(error.message, /NamespaceFinalizersRemaining: .*atrium\.dev\/test-hold/);
          return true;
        });
        // Until it is gone, the name cannot be provisioned again; a retry later can.
        await assert.rejects(cluster.ensureNamespace(ref), (error: unknown) => {
          assert.ok(error instanceof ClusterRequestError, `got ${String(error)}`);
          assert.equal(error.retryable, true);
          assert.match(error.message, /still being deleted/);
          return true;
        });

        await core.patchNamespacedConfigMap(
          { name: 'held', namespace: name, body: { metadata: { finalizers: null } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        assert.deepEqual(await expectDone(cluster.deleteNamespace(name, { timeoutMs: DELETE_TIMEOUT_MS })), {
          existed: true,
        });
        await assert.rejects(
          core.readNamespace({ name }),
          (error: unknown) => (error as k8s.ApiException<unknown>).code === 404,
        );
      },
    );

    it('gives the same objects when every ensure runs twice', async () => {
      const { refs } = newTenant();
      const ensureAll = async (ref: TenantNamespaceRef) => [
        await cluster.ensureNamespace(ref),
        await cluster.ensureResourceLimits(ref, PLAN_LIMITS),
        await cluster.ensureNetworkPolicies(ref),
        await cluster.ensureWorkloadIdentity(ref, { name: 'workload', readableSecrets: ['database'] }),
        await cluster.ensureSecret(ref, { name: 'database', data: { username: 'tenant', password: 'first-password' } }),
      ];
      for (const ref of refs) {
        const first = await ensureAll(ref);
        const before = await cluster.describeTenant(ref.slug);
        const second = await ensureAll(ref);
        // Same uids: nothing was deleted and recreated; same objects listed: nothing was added.
        assert.deepEqual(second, first);
        assert.deepEqual(await cluster.describeTenant(ref.slug), before);
        for (const outcome of first) assert.equal(outcome.status, real ? 'done' : 'skipped');
      }
      const described = await expectDone(cluster.describeTenant((refs[0] as TenantNamespaceRef).slug));
      if (!described) return;
      for (const namespace of described) {
        const kinds = namespace.objects.map((object) => object.kind);
        assert.equal(kinds.filter((kind) => kind === 'NetworkPolicy').length, 4, namespace.name);
        assert.equal(kinds.filter((kind) => kind === 'ResourceQuota').length, 1, namespace.name);
        assert.equal(kinds.filter((kind) => kind === 'Secret').length, 1, namespace.name);
      }
    });

    it('reads back quota and limit values equal to the plan', async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      const applied = await expectDone(cluster.ensureResourceLimits(ref, PLAN_LIMITS));
      if (!kube || !applied) return;
      const namespace = tenantNamespaceName(slug, ref.environment);
      assert.deepEqual(
        applied.map((object) => object.kind),
        ['ResourceQuota', 'LimitRange'],
      );
      const quota = await kube.core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace });
      assert.deepEqual(plain(quota.spec?.hard), {
        'requests.cpu': PLAN_LIMITS.quota.requestsCpu,
        'requests.memory': PLAN_LIMITS.quota.requestsMemory,
        'limits.cpu': PLAN_LIMITS.quota.limitsCpu,
        'limits.memory': PLAN_LIMITS.quota.limitsMemory,
        'requests.storage': PLAN_LIMITS.quota.requestsStorage,
        pods: String(PLAN_LIMITS.quota.pods),
        services: String(PLAN_LIMITS.quota.services),
        persistentvolumeclaims: String(PLAN_LIMITS.quota.persistentVolumeClaims),
      });
      const limitRange = await kube.core.readNamespacedLimitRange({ name: 'atrium-plan', namespace });
      const container = limitRange.spec?.limits[0];
      assert.equal(container?.type, 'Container');
      assert.deepEqual(plain(container?.defaultRequest), PLAN_LIMITS.container.defaultRequest);
      assert.deepEqual(plain(container?._default), PLAN_LIMITS.container.defaultLimit);
      assert.deepEqual(plain(container?.max), PLAN_LIMITS.container.max);

      // A plan change is applied in place: same objects, new values.
      const bigger = { ...PLAN_LIMITS, quota: { ...PLAN_LIMITS.quota, pods: 40 } };
      const changed = await expectDone(cluster.ensureResourceLimits(ref, bigger));
      assert.equal(changed?.[0]?.uid, applied[0]?.uid);
      const updated = await kube.core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace });
      assert.equal(updated.spec?.hard?.pods, '40');
    });

    it('isolates the namespace: default deny both ways, allow same namespace, ingress controller and DNS', async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      const applied = await expectDone(cluster.ensureNetworkPolicies(ref));
      if (!kube || !applied) return;
      const namespace = tenantNamespaceName(slug, ref.environment);
      const list = await kube.networking.listNamespacedNetworkPolicy({ namespace });
      const byName = new Map(list.items.map((policy) => [policy.metadata?.name, policy.spec]));

      const deny = plain(byName.get('atrium-default-deny'));
      assert.deepEqual(deny?.podSelector, {});
      assert.deepEqual(deny?.policyTypes, ['Ingress', 'Egress']);
      assert.equal(deny?.ingress, undefined);
      assert.equal(deny?.egress, undefined);

      const same = plain(byName.get('atrium-allow-same-namespace'));
      assert.deepEqual(same?.ingress?.[0]?._from, [{ podSelector: {} }]);
      assert.deepEqual(same?.egress?.[0]?.to, [{ podSelector: {} }]);

      const ingress = plain(byName.get('atrium-allow-ingress-controller'));
      const { key, value } = options.config.ingressNamespaceLabel;
      assert.deepEqual(ingress?.ingress?.[0]?._from, [{ namespaceSelector: { matchLabels: { [key]: value } } }]);

      const dns = byName.get('atrium-allow-dns');
      assert.deepEqual(
        dns?.egress?.[0]?.ports?.map((port) => `${port.protocol}/${port.port}`),
        ['UDP/53', 'TCP/53'],
      );
      assert.equal(list.items.length, 4);
    });

    it('gives workloads an identity that may read config and only the named secrets', async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      const applied = await expectDone(
        cluster.ensureWorkloadIdentity(ref, { name: 'workload', readableSecrets: ['database'] }),
      );
      if (!kube || !applied) return;
      const namespace = tenantNamespaceName(slug, ref.environment);
      assert.deepEqual(
        applied.map((object) => `${object.kind}/${object.name}`),
        ['ServiceAccount/workload', 'Role/workload', 'RoleBinding/workload'],
      );
      const role = await kube.rbac.readNamespacedRole({ name: 'workload', namespace });
      assert.deepEqual(
        plain(role.rules?.map((rule) => ({ resources: rule.resources, verbs: rule.verbs, names: rule.resourceNames }))),
        [
          { resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
          { resources: ['secrets'], verbs: ['get'], names: ['database'] },
        ],
      );
      const binding = await kube.rbac.readNamespacedRoleBinding({ name: 'workload', namespace });
      assert.deepEqual(plain(binding.subjects), [{ kind: 'ServiceAccount', name: 'workload', namespace }]);
      assert.equal(binding.roleRef.name, 'workload');
    });

    it('stores a secret with exactly the data given, never returning the values but to readSecretData', async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      assert.equal(await expectDone(cluster.readSecretData(ref, 'database')), null, 'no Secret yet');
      const password = `pw-${randomUUID()}`;
      const outcome = await cluster.ensureSecret(ref, { name: 'database', data: { username: 'tenant', password } });
      assert.doesNotMatch(JSON.stringify(outcome), new RegExp(password));
      const applied = await expectDone(Promise.resolve(outcome));
      if (!kube || !applied) return;
      const namespace = tenantNamespaceName(slug, ref.environment);
      const stored = await kube.core.readNamespacedSecret({ name: 'database', namespace });
      const decoded = Object.fromEntries(
        Object.entries(stored.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
      );
      assert.deepEqual(decoded, { username: 'tenant', password });
      assert.equal(stored.type, 'Opaque');

      // A rotated value replaces the old one in the same object.
      const rotated = await expectDone(
        cluster.ensureSecret(ref, { name: 'database', data: { username: 'tenant', password: 'rotated' } }),
      );
      assert.equal(rotated?.uid, applied.uid);
      const again = await kube.core.readNamespacedSecret({ name: 'database', namespace });
      assert.equal(Buffer.from(again.data?.password ?? '', 'base64').toString('utf8'), 'rotated');
      // What a consumer check reads back is what the API server holds.
      assert.deepEqual(await expectDone(cluster.readSecretData(ref, 'database')), {
        username: 'tenant',
        password: 'rotated',
      });
    });

    it('scales workloads to zero and restores exactly the replica counts they had', async () => {
      const { slug, refs } = newTenant();
      for (const ref of refs) await expectDone(cluster.ensureNamespace(ref));
      const namespace = tenantNamespaceName(slug, (refs[0] as TenantNamespaceRef).environment);
      if (kube) {
        const labels = { app: 'web' };
        const template = {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
        };
        await kube.apps.createNamespacedDeployment({
          namespace,
          body: { metadata: { name: 'web' }, spec: { replicas: 3, selector: { matchLabels: labels }, template } },
        });
        await kube.apps.createNamespacedDeployment({
          namespace,
          body: { metadata: { name: 'idle' }, spec: { replicas: 0, selector: { matchLabels: labels }, template } },
        });
        await kube.apps.createNamespacedStatefulSet({
          namespace,
          body: {
            metadata: { name: 'db' },
            spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: labels }, template },
          },
        });
      }

      const down = await expectDone(cluster.scaleDownTenant(slug));
      // A retry after a crash must not record the zero it set as the count to restore.
      const downAgain = await expectDone(cluster.scaleDownTenant(slug));
      if (!kube || !down) return;
      const summary = (list: typeof down) =>
        list
          .map((workload) => `${workload.kind}/${workload.name}:${workload.previousReplicas}->${workload.replicas}`)
          .sort();
      assert.deepEqual(summary(down), ['Deployment/idle:0->0', 'Deployment/web:3->0', 'StatefulSet/db:2->0']);
      assert.deepEqual(summary(downAgain ?? []), summary(down));
      const replicas = async () => ({
        web: (await kube?.apps.readNamespacedDeployment({ name: 'web', namespace }))?.spec?.replicas,
        idle: (await kube?.apps.readNamespacedDeployment({ name: 'idle', namespace }))?.spec?.replicas,
        db: (await kube?.apps.readNamespacedStatefulSet({ name: 'db', namespace }))?.spec?.replicas,
      });
      assert.deepEqual(await replicas(), { web: 0, idle: 0, db: 0 });

      const restored = await expectDone(cluster.restoreTenantScale(slug));
      assert.deepEqual(summary(restored ?? []), ['Deployment/idle:0->0', 'Deployment/web:3->3', 'StatefulSet/db:2->2']);
      assert.deepEqual(await replicas(), { web: 3, idle: 0, db: 2 });
      const web = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      assert.equal(web.metadata?.annotations?.['atrium.dev/suspended-replicas'], undefined);
      // Restoring twice changes nothing.
      assert.deepEqual(await expectDone(cluster.restoreTenantScale(slug)), []);
      assert.deepEqual(await replicas(), { web: 3, idle: 0, db: 2 });
    });

    /** Reads the rollout until `until` holds (or the time is up), returning every state seen. */
    async function watchRollout(
      ref: TenantNamespaceRef,
      name: string,
      until: (status: RolloutStatus) => boolean,
    ): Promise<{ last: RolloutStatus; seen: RolloutStatus[] }> {
      const seen: RolloutStatus[] = [];
      const deadline = Date.now() + ROLLOUT_TIMEOUT_MS;
      for (;;) {
        const status = await expectDone(cluster.readRollout(ref, name));
        assert.ok(status, `Deployment ${name} exists`);
        seen.push(status);
        if (until(status)) return { last: status, seen };
        if (Date.now() > deadline)
          assert.fail(`rollout of ${name} did not settle in ${ROLLOUT_TIMEOUT_MS} ms; last: ${JSON.stringify(status)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    /** The Deployment's pods as `<release>:<phase>:<ready>`, sorted. */
    async function podsOf(namespace: string): Promise<string[]> {
      const pods = await (kube as NonNullable<typeof kube>).core.listNamespacedPod({
        namespace,
        labelSelector: 'atrium.dev/deployment=web',
      });
      return pods.items
        .map((pod) => {
          const ready = pod.status?.conditions?.find((condition) => condition.type === 'Ready')?.status ?? 'None';
          const terminating = pod.metadata?.deletionTimestamp ? ':terminating' : '';
          return `${pod.metadata?.labels?.['atrium.dev/release']}:${pod.status?.phase}:${ready}${terminating}`;
        })
        .sort();
    }

    /** Waits until the pods are exactly `expected` (a replaced pod is deleted a moment after its successor is ready). */
    async function expectPods(namespace: string, expected: string[]): Promise<void> {
      const deadline = Date.now() + ROLLOUT_TIMEOUT_MS;
      let pods = await podsOf(namespace);
      while (JSON.stringify(pods) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        pods = await podsOf(namespace);
      }
      assert.deepEqual(pods, expected);
    }

    it("applies a release's Deployment, the same again changes nothing, and it becomes available", async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      await expectDone(cluster.ensureResourceLimits(ref, PLAN_LIMITS));
      const first = await expectDone(cluster.applyDeployment(ref, release('r1')));
      const again = await expectDone(cluster.applyDeployment(ref, release('r1')));
      const rollout = await expectDone(cluster.readRollout(ref, 'web'));
      assert.equal(await expectDone(cluster.readRollout(ref, 'absent')), null);
      if (!kube || !first || !rollout) return;
      const namespace = tenantNamespaceName(slug, ref.environment);
      assert.equal(first.kind, 'Deployment');
      assert.equal(first.namespace, namespace);
      assert.equal(first.releaseId, 'r1');
      // Same object, same generation: an identical apply is not a new rollout.
      assert.deepEqual(again, first);

      const { last } = await watchRollout(ref, 'web', (status) => status.condition.state === 'available');
      assert.equal(last.releaseId, 'r1');
      assert.deepEqual([last.replicas, last.updatedReplicas, last.readyReplicas, last.availableReplicas], [2, 2, 2, 2]);
      assert.equal(last.observedGeneration, last.generation);
      await expectPods(namespace, ['r1:Running:True', 'r1:Running:True']);
      // Each pod was placed by kube-scheduler on one of kwok's fake nodes.
      const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: 'atrium.dev/deployment=web' });
      for (const pod of pods.items) assert.match(pod.spec?.nodeName ?? '', /^kwok-node-\d+$/);

      const stored = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      assert.equal(stored.metadata?.labels?.['atrium.dev/release'], 'r1');
      assert.equal(stored.metadata?.labels?.['atrium.dev/tenant'], slug);
      assert.equal(stored.metadata?.labels?.['app.kubernetes.io/part-of'], 'acme');
      assert.equal(stored.metadata?.annotations?.['atrium.dev/release-id'], 'r1');
      assert.equal(stored.metadata?.annotations?.['atrium.dev/promoted-by'], 'contract-test');
      assert.equal(stored.spec?.progressDeadlineSeconds, 60);
      const container = stored.spec?.template.spec?.containers[0];
      assert.equal(container?.image, 'registry.invalid/acme/web:r1');
      assert.deepEqual(plain(container?.env), [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'RELEASE', value: 'r1' },
      ]);
      assert.deepEqual(plain(container?.resources), {
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      });

      // The next release replaces what the first set: an env var left out is gone.
      const next = release('r2', { env: { RELEASE: 'r2' }, replicas: 3 });
      const applied = await expectDone(cluster.applyDeployment(ref, next));
      assert.equal(applied?.uid, first.uid);
      assert.ok((applied?.generation ?? 0) > first.generation);
      const settled = await watchRollout(ref, 'web', (status) => status.condition.state === 'available');
      assert.equal(settled.last.releaseId, 'r2');
      await expectPods(namespace, ['r2:Running:True', 'r2:Running:True', 'r2:Running:True']);
      const replaced = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      assert.deepEqual(plain(replaced.spec?.template.spec?.containers[0]?.env), [{ name: 'RELEASE', value: 'r2' }]);
    });

    it('reports a never-ready release failed after its deadline, and rolling back brings the previous one back', async () => {
      const { slug, refs } = newTenant();
      const ref = refs[0] as TenantNamespaceRef;
      await expectDone(cluster.ensureNamespace(ref));
      const good = release('good');
      const broken = release('broken', {
        image: 'registry.invalid/acme/web:never-ready',
        progressDeadlineSeconds: 5,
      });
      const first = await expectDone(cluster.applyDeployment(ref, good));
      if (!kube || !first) {
        await expectDone(cluster.applyDeployment(ref, broken));
        await expectDone(cluster.rollbackDeployment(ref, good));
        return;
      }
      const namespace = tenantNamespaceName(slug, ref.environment);
      await watchRollout(ref, 'web', (status) => status.condition.state === 'available');

      await expectDone(cluster.applyDeployment(ref, broken));
      const failure = await watchRollout(ref, 'web', (status) => status.condition.state === 'failed');
      assert.equal(failure.last.releaseId, 'broken');
      assert.equal(failure.last.condition.reason, 'ProgressDeadlineExceeded');
      assert.match(failure.last.condition.message, /No progress for 5 s/);
      // Never available on the way, and the good release kept serving throughout.
      assert.ok(failure.seen.every((status) => status.condition.state !== 'available'));
      assert.ok(failure.seen.some((status) => status.condition.state === 'progressing'));
      for (const status of failure.seen) assert.ok(status.availableReplicas >= 2, JSON.stringify(status));
      assert.equal(failure.last.updatedReplicas, 1);
      assert.equal(failure.last.readyReplicas, 2);
      await expectPods(namespace, ['broken:Running:False', 'good:Running:True', 'good:Running:True']);

      const rolledBack = await expectDone(cluster.rollbackDeployment(ref, good));
      assert.equal(rolledBack?.rolledBackFrom, 'broken');
      assert.equal(rolledBack?.releaseId, 'good');
      assert.equal(rolledBack?.uid, first.uid);
      // A retry of the rollback keeps naming the release it replaced.
      assert.equal((await expectDone(cluster.rollbackDeployment(ref, good)))?.rolledBackFrom, 'broken');
      const recovered = await watchRollout(
        ref,
        'web',
        (status) => status.condition.state === 'available' && status.releaseId === 'good',
      );
      assert.equal(recovered.last.availableReplicas, 2);
      // The broken release's pod is deleted (kwok finishes the deletion), not left Terminating.
      await expectPods(namespace, ['good:Running:True', 'good:Running:True']);
      const stored = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      assert.equal(stored.metadata?.annotations?.['atrium.dev/rolled-back-from'], 'broken');
      // The good release's ReplicaSet came back: no third ReplicaSet was made for it.
      const replicaSets = await kube.apps.listNamespacedReplicaSet({ namespace });
      assert.equal(replicaSets.items.length, 2);

      // Promoting again after the rollback drops the note.
      await expectDone(cluster.applyDeployment(ref, release('fixed')));
      const promoted = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      assert.equal(promoted.metadata?.annotations?.['atrium.dev/rolled-back-from'], undefined);
    });

    it("lists and describes the tenant's namespaces", async () => {
      const { slug, refs } = newTenant();
      for (const ref of refs) {
        await expectDone(cluster.ensureNamespace(ref));
        await expectDone(cluster.ensureResourceLimits(ref, PLAN_LIMITS));
        await expectDone(cluster.ensureSecret(ref, { name: 'database', data: { password: 'not-in-the-description' } }));
      }
      const other = newTenant();
      await expectDone(cluster.ensureNamespace(other.refs[0] as TenantNamespaceRef));

      const names = await expectDone(cluster.listTenantNamespaces(slug));
      const described = await cluster.describeTenant(slug);
      assert.doesNotMatch(JSON.stringify(described), /not-in-the-description/);
      const description = await expectDone(Promise.resolve(described));
      if (!names || !description) return;
      const expected = environments.map((environment) => tenantNamespaceName(slug, environment)).sort();
      assert.deepEqual(names, expected);
      assert.deepEqual(
        description.map((namespace) => [namespace.name, namespace.environment, namespace.phase]),
        expected.map((name, index) => [name, [...environments].sort()[index], 'Active']),
      );
      for (const namespace of description) {
        const kinds = namespace.objects.map((object) => `${object.kind}/${object.name}`);
        for (const expectedObject of ['ResourceQuota/atrium-plan', 'LimitRange/atrium-plan', 'Secret/database'])
          assert.ok(kinds.includes(expectedObject), `${namespace.name} lists ${expectedObject}: ${kinds.join(', ')}`);
      }
    });

    it(
      'refuses with a permission error naming what the limited credentials lack',
      { skip: !options.limitedKubeconfig },
      async () => {
        const limited = createCluster({
          ...options.config,
          adapter: { kind: 'kubernetes', source: { kubeconfigPath: options.limitedKubeconfig as string } },
        });
        const { refs } = newTenant();
        await assert.rejects(limited.ensureNamespace(refs[0] as TenantNamespaceRef), (error: unknown) => {
          assert.ok(error instanceof ClusterPermissionError, `got ${String(error)}`);
          assert.equal(error.resource, 'namespaces');
          assert.ok(['create', 'patch'].includes(error.verb), error.verb);
          assert.equal(error.namespace, null);
          assert.equal(error.retryable, false);
          assert.match(error.message, /may not (create|patch) namespaces cluster-wide/);
          assert.match(error.message, /ClusterRole/);
          return true;
        });
      },
    );

    it('says which credentials were rejected and which server could not be reached', { skip: !real }, async () => {
      const config = kube?.config as k8s.KubeConfig;
      const folder = mkdtempSync(join(tmpdir(), 'atrium-cluster-contract-'));
      try {
        const variant = (
          change: (exported: {
            clusters: { cluster: { server: string } }[];
            users: { user: Record<string, unknown> }[];
          }) => void,
        ) => {
          const exported = JSON.parse(config.exportConfig());
          change(exported);
          const path = join(folder, `${randomUUID()}.kubeconfig`);
          writeFileSync(path, JSON.stringify(exported));
          return createCluster({
            ...options.config,
            adapter: { kind: 'kubernetes', source: { kubeconfigPath: path } },
          });
        };
        const { refs } = newTenant();
        const ref = refs[0] as TenantNamespaceRef;

        const badToken = variant((exported) => {
          for (const user of exported.users) user.user = { token: 'not-a-valid-token' };
        });
        await assert.rejects(badToken.ensureNamespace(ref), (error: unknown) => {
          assert.ok(error instanceof ClusterAuthenticationError, `got ${String(error)}`);
          assert.match(error.message, /401/);
          assert.match(error.message, new RegExp(config.getCurrentCluster()?.server as string));
          assert.doesNotMatch(error.message, /not-a-valid-token/);
          return true;
        });

        const closedPort = await freePort();
        const unreachable = variant((exported) => {
          for (const cluster of exported.clusters) cluster.cluster.server = `https://127.0.0.1:${closedPort}`;
        });
        await assert.rejects(unreachable.listTenantNamespaces('anyone'), (error: unknown) => {
          assert.ok(error instanceof ClusterUnreachableError, `got ${String(error)}`);
          assert.match(error.message, new RegExp(`https://127\\.0\\.0\\.1:${closedPort}`));
          assert.match(error.message, /ECONNREFUSED/);
          assert.equal(error.retryable, true);
          return true;
        });
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });
}

/** The client's model classes as plain data, so they compare with object literals. */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
