// @needs-servers: kube
// Every object in deploy/kubernetes/ (the base manifests, the example Secrets and the KEDA
// overlay) applied to the local control plane with server-side apply, dryRun=All and strict
// field validation, in a namespace of the test's own, as `kubectl apply --server-side
// --dry-run=server` would: the API server validates each against its schema and admission,
// and stores nothing. Their invariants (configuration, probes, grace, images) are
// tests/unit/kubernetes-manifests.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { ManifestObject } from '../support/kubernetes-manifests.ts';
import { loadManifests } from '../support/kubernetes-manifests.ts';
import { kubeServer } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Server-side apply of an object as its file has it. KubernetesObjectApi.patch serializes
 * through client-node's models, which drop any field they do not know, so a misspelled field
 * would never reach the server; this sends the object's own JSON instead, with
 * fieldValidation=Strict, as `kubectl apply --server-side --dry-run=server` does.
 */
class ManifestApplier extends k8s.KubernetesObjectApi {
  async applyDryRun(object: k8s.KubernetesObject, fieldManager: string): Promise<k8s.KubernetesObject> {
    const context = this.configuration.baseServer.makeRequestContext(
      await this.specUriPath(object, 'patch'),
      k8s.HttpMethod.PATCH,
    );
    context.setHeaderParam('Accept', 'application/json');
    context.setHeaderParam('Content-Type', k8s.PatchStrategy.ServerSideApply);
    context.setQueryParam('dryRun', 'All');
    context.setQueryParam('fieldManager', fieldManager);
    context.setQueryParam('fieldValidation', 'Strict');
    context.setQueryParam('force', 'true');
    context.setBody(JSON.stringify(object));
    return this.requestPromise(context);
  }
}

const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const applier = kube.makeApiClient(ManifestApplier);
const core = kube.makeApiClient(k8s.CoreV1Api);
const extensions = kube.makeApiClient(k8s.ApiextensionsV1Api);

const FIELD_MANAGER = 'atrium-manifests-test';
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'Namespace']);

/**
 * KEDA is not installed in the local control plane, so the test registers ScaledObject itself:
 * NOT KEDA's CRD, a minimal schema written here for the fields the overlay uses (KEDA's own
 * validates more). It still checks that the overlay is well-formed YAML of that kind, that its
 * fields are where KEDA reads them (unknown fields are refused), and that their types are right.
 */
const SCALED_OBJECT_CRD: k8s.V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'scaledobjects.keda.sh' },
  spec: {
    group: 'keda.sh',
    scope: 'Namespaced',
    names: { kind: 'ScaledObject', plural: 'scaledobjects', singular: 'scaledobject', listKind: 'ScaledObjectList' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['scaleTargetRef', 'triggers'],
                properties: {
                  scaleTargetRef: {
                    type: 'object',
                    required: ['name'],
                    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } },
                  },
                  minReplicaCount: { type: 'integer', minimum: 0 },
                  maxReplicaCount: { type: 'integer', minimum: 1 },
                  pollingInterval: { type: 'integer' },
                  cooldownPeriod: { type: 'integer' },
                  triggers: {
                    type: 'array',
                    minItems: 1,
                    items: {
                      type: 'object',
                      required: ['type', 'metadata'],
                      properties: {
                        type: { type: 'string' },
                        name: { type: 'string' },
                        metadata: { type: 'object', additionalProperties: { type: 'string' } },
                        authenticationRef: {
                          type: 'object',
                          required: ['name'],
                          properties: { name: { type: 'string' }, kind: { type: 'string' } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** Server-side apply with dryRun=All: validated and admitted, never stored. */
async function applyDryRun(object: ManifestObject, namespace: string): Promise<k8s.KubernetesObject> {
  const { file: _file, ...body } = object;
  const spec = CLUSTER_SCOPED.has(object.kind) ? body : { ...body, metadata: { ...body.metadata, namespace } };
  return applier.applyDryRun(spec, FIELD_MANAGER);
}

/** The API server's answer to a refused request. */
function refusal(error: unknown): string {
  if (error instanceof k8s.ApiException) return `${error.code}: ${String(error.body)}`;
  return error instanceof Error ? error.message : String(error);
}

describe('the Kubernetes manifests pass server-side dry-run', () => {
  const objects = loadManifests();
  const namespace = `atrium-manifests-${randomBytes(3).toString('hex')}`;
  let createdCrd = false;

  before(async () => {
    // A real namespace: a namespaced object's dry-run is refused in a namespace that does not exist.
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    try {
      await extensions.createCustomResourceDefinition({ body: SCALED_OBJECT_CRD });
      createdCrd = true;
    } catch (error) {
      // Another run registered it (or KEDA is installed): use that one.
      if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
    }
    await waitFor(
      'the ScaledObject CRD to be established',
      async () => {
        const crd = await extensions.readCustomResourceDefinition({ name: SCALED_OBJECT_CRD.metadata!.name! });
        return crd.status?.conditions?.some(
          (condition) => condition.type === 'Established' && condition.status === 'True',
        );
      },
      30_000,
    );
  });
  after(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => {});
    if (createdCrd) await extensions.deleteCustomResourceDefinition({ name: SCALED_OBJECT_CRD.metadata!.name! });
  });

  it('finds the base manifests, the example Secrets and the KEDA overlay', () => {
    const files = new Set(objects.map((object) => object.file));
    for (const file of [
      'api.yaml',
      'worker.yaml',
      'config.yaml',
      'rbac.yaml',
      'migrate-job.yaml',
      'examples/secrets.yaml',
      'keda/worker-scaledobject.yaml',
    ])
      assert.ok(files.has(file), `deploy/kubernetes/${file}`);
  });

  it('applies every object with dryRun=All, and none is stored', async () => {
    const refused: string[] = [];
    for (const object of objects) {
      try {
        const answer = await applyDryRun(object, namespace);
        assert.equal(answer.kind, object.kind);
        assert.equal(answer.metadata?.name, object.metadata.name);
      } catch (error) {
        refused.push(`${object.file}: ${object.kind} ${object.metadata.name} — ${refusal(error)}`);
      }
    }
    assert.deepEqual(refused, [], `refused:\n${refused.join('\n')}`);
    // Dry-run: nothing was created.
    const stored = await core.listNamespacedConfigMap({ namespace, labelSelector: 'app.kubernetes.io/part-of=atrium' });
    assert.deepEqual(stored.items, []);
    const secrets = await core.listNamespacedSecret({ namespace, labelSelector: 'app.kubernetes.io/part-of=atrium' });
    assert.deepEqual(secrets.items, []);
  });

  it('is refused a misspelled field, so the dry-run does check the schema', async () => {
    const worker = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'atrium-worker');
    assert.ok(worker);
    const misspelled = structuredClone(worker) as ManifestObject & {
      spec: { template: { spec: Record<string, unknown> } };
    };
    misspelled.spec.template.spec.terminationGracePeriodSecond = 60;
    await assert.rejects(applyDryRun(misspelled, namespace), (error: unknown) => {
      assert.match(refusal(error), /terminationGracePeriodSecond/);
      return true;
    });
    const scaled = objects.find((object) => object.kind === 'ScaledObject');
    assert.ok(scaled);
    const badTrigger = structuredClone(scaled) as ManifestObject & { spec: { triggers: unknown[] } };
    badTrigger.spec.triggers = [{ type: 'temporal', metadata: { targetQueueSize: 10 } }];
    await assert.rejects(applyDryRun(badTrigger, namespace), (error: unknown) => {
      assert.match(refusal(error), /targetQueueSize/);
      return true;
    });
  });
});
