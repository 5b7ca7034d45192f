// syncConnection: one run of a connection's sync, started by the sync's Temporal Schedule
// (`connector-sync/<slug>/<connection>/<sync>`, the server appending each action's time). It
// records the run, pages through the provider's API in one long activity that heartbeats with
// the page cursor (a retried attempt, after a worker died, resumes from the last page it
// reported), and records how the run ended with its counts on the sync and the connection. A
// run that cannot finish (the connection needs re-authorization, the provider refuses) is
// recorded as failed, with the reason, and the workflow fails with it so operators see it.
import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import { describeFailure } from '../shared/step-tracker.ts';
import type { SyncConnectionInput, SyncConnectionResult } from './contract.ts';

/** The longest one run may page (an attempt past it is retried from its last page). */
export const SYNC_PAGING_TIMEOUT_MS = 60 * 60_000;

export async function syncConnection(input: SyncConnectionInput): Promise<SyncConnectionResult> {
  const { tenantId, connectionId, syncId, timings } = input;
  const { workflowId } = workflowInfo();
  const bookkeeping = proxyActivities<ConnectorActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // Database writes: retried until the database is back.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  const paging = proxyActivities<ConnectorActivities>({
    startToCloseTimeout: SYNC_PAGING_TIMEOUT_MS,
    // A dead worker is noticed after this long; the next attempt starts from its last heartbeat.
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // A provider that is down (5xx, unreachable) is retried a while, then the run fails and the
    // next scheduled one tries again. Rate limits (429) are waited out inside the attempt.
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 },
  });

  const run = { tenantId, connectionId, syncId, workflowId };
  await bookkeeping.beginSyncRun(run);
  try {
    const paged = await paging.fetchSyncPages({ ...run, slug: input.slug });
    const done = await bookkeeping.finishSyncRun({ ...run, status: 'succeeded', error: null });
    return { syncId, status: 'succeeded', pages: paged.pages, counts: done.counts, error: null };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = describeFailure(error);
    await bookkeeping.finishSyncRun({ ...run, status: 'failed', error: reason });
    const type = error.cause instanceof ApplicationFailure ? error.cause.type : null;
    throw ApplicationFailure.nonRetryable(`The sync run failed: ${reason}`, type ?? 'SyncFailed');
  }
}
