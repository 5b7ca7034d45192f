// What a release's Deployment looks like, and what a Deployment's status says about its
// rollout, before any request (the contract tests watch real rollouts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { deploymentManifest, rolloutStatusOf } from '../../integrations/cluster/kubernetes/deployments.ts';
import type { ReleaseDeployment, TenantNamespaceRef } from '../../integrations/cluster/port.ts';

const ref: TenantNamespaceRef = {
  tenantId: 'b7c1e0f4-0000-4000-8000-000000000001',
  slug: 'acme',
  environment: 'staging',
};
const release: ReleaseDeployment = {
  name: 'web',
  releaseId: 'rel-42',
  image: 'registry.example.com/acme/web:1.4.2',
  replicas: 3,
  env: { PORT: '8080', LOG_LEVEL: 'debug' },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  progressDeadlineSeconds: 120,
  labels: { 'app.kubernetes.io/part-of': 'acme', 'atrium.dev/release': 'spoofed' },
  annotations: { 'example.com/owner': 'team-a' },
};

describe('a release as a Deployment', () => {
  const manifest = deploymentManifest(ref, release);

  it('lives in the environment namespace, selected by its name alone', () => {
    assert.equal(manifest.metadata?.namespace, 'tenant-acme-staging');
    assert.equal(manifest.metadata?.name, 'web');
    // The selector must not change between releases: no release id in it.
    assert.deepEqual(manifest.spec?.selector.matchLabels, { 'atrium.dev/deployment': 'web' });
  });

  it("carries the tenant and the release on the Deployment and its pods; Atrium's keys win", () => {
    for (const labels of [manifest.metadata?.labels, manifest.spec?.template.metadata?.labels]) {
      assert.equal(labels?.['atrium.dev/release'], 'rel-42');
      assert.equal(labels?.['atrium.dev/tenant'], 'acme');
      assert.equal(labels?.['atrium.dev/environment'], 'staging');
      assert.equal(labels?.['atrium.dev/deployment'], 'web');
      assert.equal(labels?.['app.kubernetes.io/part-of'], 'acme');
    }
    assert.deepEqual(manifest.spec?.template.metadata?.annotations, {
      'example.com/owner': 'team-a',
      'atrium.dev/release-id': 'rel-42',
    });
  });

  it('runs one container with the image, sorted env, requests and limits', () => {
    const container = manifest.spec?.template.spec?.containers[0];
    assert.equal(manifest.spec?.template.spec?.containers.length, 1);
    assert.equal(container?.image, 'registry.example.com/acme/web:1.4.2');
    assert.deepEqual(container?.env, [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'PORT', value: '8080' },
    ]);
    assert.deepEqual(container?.resources, release.resources);
    assert.equal(manifest.spec?.template.spec?.serviceAccountName, undefined);
    assert.equal(
      deploymentManifest(ref, { ...release, serviceAccountName: 'workload' }).spec?.template.spec?.serviceAccountName,
      'workload',
    );
  });

  it('rolls out one extra pod at a time and never takes a serving one away first', () => {
    assert.equal(manifest.spec?.replicas, 3);
    assert.equal(manifest.spec?.progressDeadlineSeconds, 120);
    assert.deepEqual(manifest.spec?.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('gives a rollback the same pod template as the release it restores', () => {
    const rollback = deploymentManifest(ref, release, { 'atrium.dev/rolled-back-from': 'rel-43' });
    assert.deepEqual(rollback.spec, manifest.spec);
    assert.equal(rollback.metadata?.annotations?.['atrium.dev/rolled-back-from'], 'rel-43');
  });
});

function deployment(
  status: k8s.V1DeploymentStatus,
  { generation = 2, replicas = 2 }: { generation?: number; replicas?: number } = {},
): k8s.V1Deployment {
  return {
    metadata: { name: 'web', generation },
    spec: {
      replicas,
      progressDeadlineSeconds: 30,
      selector: {},
      template: { metadata: { annotations: { 'atrium.dev/release-id': 'rel-42' } } },
    },
    status,
  };
}

const progressing = (status: string, reason: string, message = ''): k8s.V1DeploymentCondition => ({
  type: 'Progressing',
  status,
  reason,
  message,
});

describe('rollout status from a Deployment', () => {
  it('is progressing until the controller has seen the latest generation', () => {
    const status = rolloutStatusOf(
      deployment({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }),
    );
    assert.equal(status.condition.state, 'progressing');
    assert.equal(status.condition.reason, 'NotObservedYet');
    assert.equal(status.releaseId, 'rel-42');
  });

  it('waits for updated replicas, then for old ones to go, then for availability', () => {
    const reasons = [
      { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 },
      { observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 },
      { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 },
    ].map((status) => rolloutStatusOf(deployment(status)).condition);
    assert.deepEqual(
      reasons.map((condition) => [condition.state, condition.reason]),
      [
        ['progressing', 'UpdatingReplicas'],
        ['progressing', 'OldReplicasPendingTermination'],
        ['progressing', 'WaitingForAvailability'],
      ],
    );
    assert.equal(reasons[0]?.message, '1 of 2 replicas updated.');
  });

  it('is available when every replica is updated and available', () => {
    const status = rolloutStatusOf(
      deployment({
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [progressing('True', 'NewReplicaSetAvailable')],
      }),
    );
    assert.deepEqual(status.condition, {
      state: 'available',
      reason: 'Available',
      message: '2 of 2 replicas available.',
    });
    assert.deepEqual(
      [status.generation, status.observedGeneration, status.replicas, status.updatedReplicas],
      [2, 2, 2, 2],
    );
    // Scaled to zero is available too: nothing to wait for.
    assert.equal(rolloutStatusOf(deployment({ observedGeneration: 2 }, { replicas: 0 })).condition.state, 'available');
  });

  it('is failed once the progress deadline has passed, with what was reached', () => {
    const status = rolloutStatusOf(
      deployment({
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 1,
        readyReplicas: 2,
        availableReplicas: 2,
        conditions: [
          progressing('False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-5d8" has timed out progressing.'),
        ],
      }),
    );
    assert.equal(status.condition.state, 'failed');
    assert.equal(status.condition.reason, 'ProgressDeadlineExceeded');
    assert.equal(
      status.condition.message,
      'No progress for 30 s: 2 of 2 replicas available, 1 updated. ReplicaSet "web-5d8" has timed out progressing.',
    );
  });
});
