// syncConnection with typed activity stand-ins: a run records itself, pages, and records how it
// ended with its counts; a paging attempt that fails (a worker died, a provider outage) is retried
// and the run still succeeds; a refusal for good (the connection needs re-authorization) records
// the run as failed and fails the workflow with the reason. Each outcome's history is recorded for
// the replay test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import type { syncConnection } from '../../workflows/connectors/index.ts';
import { SYNC_FAILURE_TYPES, syncScheduleId } from '../../workflows/connectors/contract.ts';
import { recordHistory } from '../support/histories.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const COUNTS = { fetched: 5, created: 3, updated: 1, unchanged: 1 };

describe('syncConnection (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('connectors');
  });
  after(async () => {
    await harness?.stop();
  });

  const run = () => {
    const input = {
      tenantId: randomUUID(),
      slug: `wf-sync-${randomUUID().slice(0, 8)}`,
      connectionId: randomUUID(),
      syncId: randomUUID(),
      timings: TEST_TIMINGS,
    };
    // As the schedule names each run: its id, then the action's time.
    const workflowId = `${syncScheduleId(input.slug, input.connectionId, input.syncId)}-2026-12-03T00:00:00Z`;
    return { input, workflowId };
  };

  it('records the run, pages (retried after a failed attempt) and records the counts', async () => {
    let attempts = 0;
    const standIns = {
      beginSyncRun: async () => {},
      fetchSyncPages: () => {
        attempts += 1;
        return attempts === 1 ? Promise.reject(new Error('worker lost')) : Promise.resolve({ pages: 3 });
      },
      finishSyncRun: () => Promise.resolve({ counts: COUNTS }),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      const { input, workflowId } = run();
      const handle = await s.start<typeof syncConnection>('syncConnection', input, workflowId);
      const result = await handle.result();
      assert.deepEqual(result, { syncId: input.syncId, status: 'succeeded', pages: 3, counts: COUNTS, error: null });
      assert.deepEqual(s.names(), ['beginSyncRun', 'fetchSyncPages', 'fetchSyncPages', 'finishSyncRun']);
      // The run's row is keyed by the workflow ID the schedule gave it.
      assert.equal(s.inputOf('beginSyncRun').workflowId, workflowId);
      assert.equal(s.calls[3]!.input.status, 'succeeded');
      await recordHistory(harness.client, workflowId, 'sync-connection-succeeded');
    });
  });

  it('a connection that cannot give a token fails the run, recorded with the reason', async () => {
    const standIns = {
      beginSyncRun: async () => {},
      fetchSyncPages: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable(
            'The connection is needs_reauth; the sync runs again once it is connected.',
            SYNC_FAILURE_TYPES.connectionUnavailable,
          ),
        ),
      finishSyncRun: () => Promise.resolve({ counts: { fetched: 0, created: 0, updated: 0, unchanged: 0 } }),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      const { input, workflowId } = run();
      const handle = await s.start<typeof syncConnection>('syncConnection', input, workflowId);
      const failure = await failureOf(handle);
      assert.equal(failure.type, SYNC_FAILURE_TYPES.connectionUnavailable);
      assert.match(failure.message, /needs_reauth/);
      assert.deepEqual(s.names(), ['beginSyncRun', 'fetchSyncPages', 'finishSyncRun']);
      assert.equal(s.calls[2]!.input.status, 'failed');
      assert.match(s.calls[2]!.input.error, /needs_reauth/);
      await recordHistory(harness.client, workflowId, 'sync-connection-failed');
    });
  });
});
