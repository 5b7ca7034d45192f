// createEnvironment and deleteEnvironment with typed activity stand-ins: the steps in order; a
// namespace step that fails for good is undone (the namespace deleted) and the environment
// recorded failed with the reason; a cluster that is not configured is a skipped step, not a
// failure; a deletion that fails for good leaves the environment failed. Each outcome's history
// is recorded for the replay test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { EnvironmentActivities } from '../../activities/environments/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { createEnvironment, deleteEnvironment } from '../../workflows/environments/index.ts';
import { createEnvironmentWorkflowId, deleteEnvironmentWorkflowId } from '../../workflows/environments/contract.ts';
import { getProgressQuery } from '../../workflows/shared/operation.contract.ts';
import { recordHistory } from '../support/histories.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const member: AuditActor = { type: 'user', id: 'owner', requestId: null, ip: null };
const succeed = {
  createEnvironmentNamespace: (input: { slug: string; environment: string }) =>
    Promise.resolve({ namespace: `tenant-${input.slug}-${input.environment}`, skipped: null }),
  deleteEnvironmentNamespace: (input: { slug: string; environment: string }) =>
    Promise.resolve({ namespace: `tenant-${input.slug}-${input.environment}`, skipped: null }),
  recordEnvironmentStatus: async () => {},
} satisfies Partial<EnvironmentActivities>;
const refuse = (message: string, type: string) => () => Promise.reject(ApplicationFailure.nonRetryable(message, type));

describe('createEnvironment and deleteEnvironment (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('environments');
  });
  after(async () => {
    await harness?.stop();
  });

  const input = (environment = 'staging') => ({
    tenantId: randomUUID(),
    slug: `wf-env-${randomUUID().slice(0, 8)}`,
    environment,
    requestedBy: member,
    timings: TEST_TIMINGS,
  });

  it('creates: namespace, then ready', async () => {
    await harness.withWorker(succeed, async (s) => {
      const run = input();
      const workflowId = createEnvironmentWorkflowId(run.slug, run.environment);
      const handle = await s.start<typeof createEnvironment>('createEnvironment', run, workflowId);
      const result = await handle.result();
      assert.equal(result.status, 'ready');
      assert.equal(result.namespace, `tenant-${run.slug}-staging`);
      assert.deepEqual(s.names(), ['createEnvironmentNamespace', 'recordEnvironmentStatus']);
      assert.deepEqual(
        [s.inputOf('recordEnvironmentStatus').status, s.inputOf('recordEnvironmentStatus').detail],
        ['ready', null],
      );
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status]),
        [
          ['namespace', 'completed'],
          ['ready', 'completed'],
        ],
      );
    });
  });

  it('without a cluster: the namespace step is skipped with the reason, the environment ready', async () => {
    const skipped = {
      ...succeed,
      createEnvironmentNamespace: () =>
        Promise.resolve({ namespace: 'tenant-x-staging', skipped: 'no cluster configured (set KUBECONFIG)' }),
    };
    await harness.withWorker(skipped, async (s) => {
      const run = input();
      const handle = await s.start<typeof createEnvironment>(
        'createEnvironment',
        run,
        createEnvironmentWorkflowId(run.slug, run.environment),
      );
      const result = await handle.result();
      assert.equal(result.skipped, 'no cluster configured (set KUBECONFIG)');
      assert.equal(result.progress.steps[0]?.status, 'skipped');
      assert.equal(s.inputOf('recordEnvironmentStatus').detail, 'no cluster configured (set KUBECONFIG)');
    });
  });

  it('a namespace that cannot be made is deleted again, and the environment recorded failed', async () => {
    const failing = {
      ...succeed,
      createEnvironmentNamespace: refuse('namespaces is forbidden for the kubeconfig user', 'ClusterPermissionError'),
    };
    await harness.withWorker(failing, async (s) => {
      const run = input('qa');
      const workflowId = createEnvironmentWorkflowId(run.slug, run.environment);
      const handle = await s.start<typeof createEnvironment>('createEnvironment', run, workflowId);
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'EnvironmentCreateFailed');
      assert.match(failure.message, /namespaces is forbidden/);
      assert.deepEqual(s.names(), [
        'createEnvironmentNamespace',
        'deleteEnvironmentNamespace',
        'recordEnvironmentStatus',
      ]);
      assert.equal(s.inputOf('recordEnvironmentStatus').status, 'failed');
      assert.match(s.inputOf('recordEnvironmentStatus').detail, /namespaces is forbidden/);
      const progress = await handle.query(getProgressQuery);
      assert.equal(progress.phase, 'failed');
      assert.equal(progress.steps[0]?.status, 'failed');
      await recordHistory(harness.client, workflowId, 'create-environment-failed');
    });
  });

  it('deletes: namespace, then the record', async () => {
    await harness.withWorker(succeed, async (s) => {
      const run = input();
      const handle = await s.start<typeof deleteEnvironment>(
        'deleteEnvironment',
        run,
        deleteEnvironmentWorkflowId(run.slug, run.environment),
      );
      const result = await handle.result();
      assert.equal(result.status, 'deleted');
      assert.deepEqual(s.names(), ['deleteEnvironmentNamespace', 'recordEnvironmentStatus']);
      assert.equal(s.inputOf('recordEnvironmentStatus').status, 'deleted');
    });
  });

  it('a deletion that fails for good leaves the environment failed, with the reason', async () => {
    const failing = {
      ...succeed,
      deleteEnvironmentNamespace: refuse('namespace tenant-x-qa did not finish deleting', 'ClusterTimeoutError'),
    };
    await harness.withWorker(failing, async (s) => {
      const run = input('qa');
      const workflowId = deleteEnvironmentWorkflowId(run.slug, run.environment);
      const handle = await s.start<typeof deleteEnvironment>('deleteEnvironment', run, workflowId);
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'EnvironmentDeleteFailed');
      assert.deepEqual(s.names(), ['deleteEnvironmentNamespace', 'recordEnvironmentStatus']);
      assert.equal(s.inputOf('recordEnvironmentStatus').status, 'failed');
      assert.match(s.inputOf('recordEnvironmentStatus').detail, /did not finish deleting/);
      await recordHistory(harness.client, workflowId, 'delete-environment-failed');
    });
  });
});
