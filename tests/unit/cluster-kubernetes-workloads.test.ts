// What scale-down and restore decide for one workload as read, before any request: the
// replica count recorded in the annotation, kept on a repeat, and given back on restore.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workload } from '../../integrations/cluster/kubernetes/workloads.ts';
import {
  decideRestore,
  decideScaleDown,
  SUSPENDED_REPLICAS_ANNOTATION,
  suspendedFrom,
} from '../../integrations/cluster/kubernetes/workloads.ts';

function deployment(replicas: number | undefined, annotation?: string): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'tenant-acme-production',
      ...(annotation === undefined ? {} : { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: annotation } }),
    },
    ...(replicas === undefined ? {} : { spec: { replicas } as NonNullable<Workload['spec']> }),
  };
}

describe('Kubernetes workload decisions', () => {
  it('reads the recorded count only when it is a whole number', () => {
    assert.equal(SUSPENDED_REPLICAS_ANNOTATION, 'atrium.dev/suspended-replicas');
    assert.equal(suspendedFrom(deployment(0, '3')), 3);
    assert.equal(suspendedFrom(deployment(0, '0')), 0);
    assert.equal(suspendedFrom(deployment(2)), null);
    assert.equal(suspendedFrom(deployment(0, 'three')), null);
    assert.equal(suspendedFrom(deployment(0, '-1')), null);
  });

  it('scale-down records the running count and sets 0 in one change', () => {
    assert.deepEqual(decideScaleDown(deployment(3)), {
      change: { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: '3' }, replicas: 0 },
      result: 3,
    });
    // No replicas in the spec means the API default, 1.
    assert.deepEqual(decideScaleDown(deployment(undefined)).result, 1);
  });

  it('a repeated scale-down keeps the first count and changes nothing once at 0', () => {
    assert.deepEqual(decideScaleDown(deployment(0, '3')), { change: null, result: 3 });
  });

  it('a scale-down after someone scaled a suspended workload up sets 0 again, keeping the first count', () => {
    assert.deepEqual(decideScaleDown(deployment(5, '3')), {
      change: { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: '3' }, replicas: 0 },
      result: 3,
    });
  });

  it('restore gives back the recorded count and removes the annotation', () => {
    assert.deepEqual(decideRestore(deployment(0, '3')), {
      change: { annotations: { [SUSPENDED_REPLICAS_ANNOTATION]: null }, replicas: 3 },
      result: 3,
    });
  });

  it('restore leaves a workload Atrium did not suspend alone', () => {
    assert.deepEqual(decideRestore(deployment(2)), { change: null, result: null });
  });
});
