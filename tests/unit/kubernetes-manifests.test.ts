// The Kubernetes manifests (deploy/kubernetes/) and the Dockerfile against the code they run:
// the API's and the worker's configuration parse from what the manifests give them, the
// probes point at the API's real routes and ports, the worker's termination grace outlasts its
// stop, the KEDA overlay watches every family's task queue, the image is the package's
// version, and the Dockerfile copies everything the commands import. The integration test
// (tests/integration/kubernetes-manifests.test.ts) applies them with server-side dry-run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import type { Router } from 'express';
import { readApiConfig } from '../../api/config.ts';
import type { ApiDeps } from '../../api/deps.ts';
import { healthRouter } from '../../api/routes/health.ts';
import { readWorkerConfig } from '../../worker/config.ts';
import { workerStopBudgetMs } from '../../worker/shutdown.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { ManifestObject } from '../support/kubernetes-manifests.ts';
import { containerEnv, find, loadManifests, podSpec, ROOT, workloads } from '../support/kubernetes-manifests.ts';

const objects = loadManifests();
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

const api = find<k8s.V1Deployment>(objects, 'Deployment', 'atrium-api');
const worker = find<k8s.V1Deployment>(objects, 'Deployment', 'atrium-worker');
const migrate = find<k8s.V1Job>(objects, 'Job', 'atrium-migrate');
const container = (object: ManifestObject) => podSpec(object).containers[0] as k8s.V1Container;

/** The port number a probe names (by number, or by the container port's name). */
function probePort(target: k8s.V1Container, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  const named = target.ports?.find((entry) => entry.name === port);
  assert.ok(named, `${target.name}: no container port named ${String(port)}`);
  return named.containerPort;
}

/** Paths of the GET routes of an Express router. */
function getPaths(router: Router): string[] {
  return router.stack.flatMap((layer) =>
    layer.route && (layer.route as unknown as { methods: Record<string, boolean> }).methods.get
      ? [String(layer.route.path)]
      : [],
  );
}

/** The repository's top-level folders a module reaches through its relative imports, transitively. */
function importedFolders(entry: string): Set<string> {
  const seen = new Set<string>();
  const folders = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    folders.add(relative(ROOT, file).split('/')[0] as string);
    const source = readFileSync(file, 'utf8');
    // Static imports and re-exports, without `import type` (erased before Node runs the file).
    for (const match of source.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
      const target = resolve(dirname(file), match[1] as string);
      if (existsSync(target) && target.endsWith('.ts')) visit(target);
    }
  };
  visit(join(ROOT, entry));
  return folders;
}

describe('Kubernetes manifests', () => {
  it('hold the objects an operator needs, each named and labelled as part of Atrium', () => {
    const kinds = objects.map((object) => `${object.kind} ${object.metadata.name}`);
    for (const expected of [
      'ConfigMap atrium-config',
      'Deployment atrium-api',
      'Service atrium-api',
      'HorizontalPodAutoscaler atrium-api',
      'PodDisruptionBudget atrium-api',
      'Deployment atrium-worker',
      'PodDisruptionBudget atrium-worker',
      'Job atrium-migrate',
      'Secret atrium-secrets',
      'Secret atrium-migration',
      'Secret atrium-keys',
      'ScaledObject atrium-worker',
    ])
      assert.ok(kinds.includes(expected), `${expected} is in deploy/kubernetes/: ${kinds.join(', ')}`);
    for (const object of objects)
      assert.equal(object.metadata.labels?.['app.kubernetes.io/part-of'], 'atrium', `${object.kind} ${object.file}`);
    // The placeholder Secrets stay out of `kubectl apply -f deploy/kubernetes/` (not recursive).
    for (const secret of objects.filter((object) => object.kind === 'Secret'))
      assert.equal(secret.file, 'examples/secrets.yaml', `Secret ${secret.metadata.name}`);
  });

  it('run the image of this version, the same one everywhere, never :latest', () => {
    for (const workload of workloads(objects))
      for (const each of podSpec(workload).containers) {
        assert.ok(each.image, `${workload.metadata.name}/${each.name} has an image`);
        assert.doesNotMatch(each.image, /:latest$|^[^:]+$/, `${workload.metadata.name}: a pinned tag`);
        assert.ok(
          each.image.endsWith(`/atrium:${packageJson.version}`),
          `${each.image} is atrium:${packageJson.version}`,
        );
      }
  });

  it('give the API every setting its configuration requires, and it parses', () => {
    const env = containerEnv(objects, container(api));
    const config = readApiConfig(env);
    assert.equal(config.host, '0.0.0.0', 'the API listens on the pod address');
    // The portal is served (production), which needs SESSION_SECRET (api/portal.ts).
    assert.equal(config.portalMode, 'production');
    assert.ok(config.sessionSecret, 'SESSION_SECRET is given');
    // Every replica signs operator tokens with the same key (api/ops/temporal-tokens.ts).
    assert.ok(env.DATABASE_URL && env.TEMPORAL_OPERATOR_TOKEN_KEY);
    assert.equal(config.metrics?.host, '0.0.0.0');
    assert.deepEqual(
      container(api).ports?.map((port) => port.containerPort),
      [config.port, config.metrics?.port],
      'the container ports are the HTTP and metrics ports the API listens on',
    );
    assert.equal(config.secretStore.kind, 'local');
    if (config.secretStore.kind === 'local')
      assert.ok(
        container(api).volumeMounts?.some(
          (mount) =>
            config.secretStore.kind === 'local' && config.secretStore.keyFile.startsWith(`${mount.mountPath}/`),
        ),
        'the secret store key file is on a mounted volume (the root file system is read-only)',
      );
  });

  it('probe the API on its real liveness and readiness routes and its HTTP port', () => {
    const routes = getPaths(healthRouter({} as ApiDeps));
    const target = container(api);
    const port = readApiConfig(containerEnv(objects, target)).port;
    const probes = { startup: target.startupProbe, liveness: target.livenessProbe, readiness: target.readinessProbe };
    for (const [name, probe] of Object.entries(probes)) {
      assert.ok(probe?.httpGet, `the API has an HTTP ${name} probe`);
      assert.ok(
        routes.includes(probe.httpGet.path as string),
        `${name}: ${probe.httpGet.path} is a route (${routes.join(', ')})`,
      );
      assert.equal(probePort(target, probe.httpGet.port), port, `${name} probes the HTTP port`);
    }
    assert.equal(probes.readiness?.httpGet?.path, '/readyz', 'readiness follows PostgreSQL and Temporal');
    assert.equal(
      probes.liveness?.httpGet?.path,
      '/healthz',
      'liveness does not restart the API when a dependency is down',
    );
  });

  it('give the worker every setting its configuration requires, and its termination grace outlasts its stop', () => {
    const target = container(worker);
    const config = readWorkerConfig(containerEnv(objects, target));
    const graceSeconds = podSpec(worker).terminationGracePeriodSeconds;
    assert.ok(graceSeconds, 'the worker sets terminationGracePeriodSeconds');
    assert.ok(
      graceSeconds * 1000 > workerStopBudgetMs(config.shutdownGraceTimeMs),
      `terminationGracePeriodSeconds (${graceSeconds}s) exceeds the worker's stop: WORKER_SHUTDOWN_GRACE_TIME ${config.shutdownGraceTimeMs} ms plus its margins = ${workerStopBudgetMs(config.shutdownGraceTimeMs)} ms`,
    );
    // The prebuilt bundles the Dockerfile writes: no bundling (no writes) at start.
    assert.equal(config.workflowBundleDir, '/app/build/workflows');
    assert.ok(dockerfile.includes(`npm run build:workflows -- ${config.workflowBundleDir}`));
    assert.equal(config.metrics?.host, '0.0.0.0');
    assert.equal(probePort(target, target.livenessProbe?.httpGet?.port), config.metrics?.port);
    assert.equal(target.livenessProbe?.httpGet?.path, '/metrics');
    assert.equal(
      config.cluster.adapter.kind,
      'kubernetes',
      'tenant namespaces go to the cluster (its service account)',
    );
    assert.equal(podSpec(worker).serviceAccountName, 'atrium-worker');
    const binding = find<k8s.V1ClusterRoleBinding>(objects, 'ClusterRoleBinding', 'atrium-control-plane');
    assert.ok(
      binding.subjects?.some((subject) => subject.kind === 'ServiceAccount' && subject.name === 'atrium-worker'),
    );
    const mounts = target.volumeMounts ?? [];
    for (const file of [
      config.licenseSigningKeyFile,
      config.secretStore.kind === 'local' ? config.secretStore.keyFile : '',
    ])
      assert.ok(
        mounts.some((mount) => file.startsWith(`${mount.mountPath}/`)),
        `${file} is on a mounted volume`,
      );
  });

  it('run migrations with the migrate script, as the owner role from a Secret', () => {
    const target = container(migrate);
    assert.equal(target.command?.join(' '), packageJson.scripts.migrate);
    assert.ok(containerEnv(objects, target).DATABASE_MIGRATION_URL?.startsWith('postgres://'));
    assert.equal(podSpec(migrate).restartPolicy, 'Never');
  });

  it('start the API and the worker with their npm scripts', () => {
    assert.equal(container(api).command?.join(' '), packageJson.scripts.api);
    assert.equal(container(worker).command?.join(' '), packageJson.scripts.worker);
  });

  it('run every container as a non-root user, read-only, without privileges, with resources', () => {
    for (const workload of workloads(objects)) {
      const pod = podSpec(workload);
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${workload.metadata.name}: runAsNonRoot`);
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${workload.metadata.name}: a non-root uid`);
      for (const each of pod.containers) {
        const name = `${workload.metadata.name}/${each.name}`;
        assert.equal(each.securityContext?.readOnlyRootFilesystem, true, `${name}: read-only root`);
        assert.equal(each.securityContext?.allowPrivilegeEscalation, false, `${name}: no privilege escalation`);
        assert.deepEqual(each.securityContext?.capabilities?.drop, ['ALL'], `${name}: no capabilities`);
        for (const resource of ['cpu', 'memory'])
          assert.ok(
            each.resources?.requests?.[resource] && each.resources.limits?.[resource],
            `${name}: ${resource} request and limit`,
          );
      }
    }
  });

  it('scale the API and keep one of each up through a drain', () => {
    const hpa = find<k8s.V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'atrium-api');
    assert.equal(hpa.spec?.scaleTargetRef.name, 'atrium-api');
    assert.ok((hpa.spec?.minReplicas ?? 1) >= 2, 'two API replicas at least, so a PDB can let one go');
    for (const name of ['atrium-api', 'atrium-worker']) {
      const pdb = find<k8s.V1PodDisruptionBudget>(objects, 'PodDisruptionBudget', name);
      const deployment = find<k8s.V1Deployment>(objects, 'Deployment', name);
      assert.deepEqual(pdb.spec?.selector?.matchLabels, deployment.spec?.selector.matchLabels);
    }
    const service = find<k8s.V1Service>(objects, 'Service', 'atrium-api');
    assert.deepEqual(service.spec?.selector, api.spec?.selector.matchLabels);
  });

  it('scale workers with KEDA by the backlog of every family task queue on the configured Temporal', () => {
    const scaled = find<{
      spec: { scaleTargetRef: { name: string }; triggers: { type: string; metadata: Record<string, string> }[] };
    }>(objects, 'ScaledObject', 'atrium-worker');
    assert.equal(scaled.file, 'keda/worker-scaledobject.yaml');
    assert.equal(scaled.spec.scaleTargetRef.name, worker.metadata.name);
    const env = containerEnv(objects, container(worker));
    const config = readWorkerConfig(env);
    assert.deepEqual(
      scaled.spec.triggers.map((trigger) => trigger.metadata.taskQueue).sort(),
      WORKFLOW_FAMILIES.map((family) => familyTaskQueue(config.temporal.taskQueuePrefix, family)).sort(),
    );
    for (const trigger of scaled.spec.triggers) {
      assert.equal(trigger.type, 'temporal');
      assert.equal(trigger.metadata.endpoint, config.temporal.address);
      assert.equal(trigger.metadata.namespace, config.temporal.namespace);
    }
  });

  it('come from a Dockerfile that builds the portal and the bundles and copies all the commands import', () => {
    assert.match(dockerfile, /^RUN npm run build && npm run build:workflows -- \/app\/build\/workflows$/m);
    assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.match(dockerfile, /^COPY --from=build \/app\/web\/build \.\/web\/build$/m);
    assert.equal(packageJson.scripts.build, 'react-router build web');
    const copied = new Set([...dockerfile.matchAll(/^COPY (\w+) \.\/\1$/gm)].map((match) => match[1]));
    for (const entry of ['api/main.ts', 'worker/main.ts', 'db/migrate.ts'])
      for (const folder of importedFolders(entry))
        assert.ok(copied.has(folder), `${entry} imports from ${folder}/, which the Dockerfile copies`);
  });
});
