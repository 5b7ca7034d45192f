// Replays every committed workflow history (tests/histories/*.json) against the current
// workflow code. A change that would break running workflows (a reordered, added or
// removed step without patching) fails here, before it reaches a worker.
// Add histories of a new workflow version with
//   ATRIUM_RECORD_HISTORIES=v<N> npm test -- tests/integration
// and keep the old ones: they stand for workflows started before the change.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Runtime, Worker } from '@temporalio/worker';
import { DefaultLogger } from '@temporalio/worker';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { workflowInterceptorModules, writeWorkflowEntry } from '../../worker/workflow-bundle.ts';
import { DISCARDED_RUN_NOTES } from '../../worker/workflow-run-metering.ts';
import { OPERATION_CATALOGUE, OPERATION_KINDS, WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const HISTORIES = new URL('../histories/', import.meta.url);
// Every family of the catalogue, bundled as the worker bundles them.
const WORKFLOWS = writeWorkflowEntry(WORKFLOW_FAMILIES);
const REORDERED = fileURLToPath(new URL('./fixtures/provision-tenant-reordered.ts', import.meta.url));

function loadHistories() {
  return readdirSync(HISTORIES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(readFileSync(new URL(file, HISTORIES), 'utf8'))),
    }));
}

describe('workflow replay', () => {
  const histories = loadHistories();

  it('has committed histories for each outcome of every workflow', () => {
    const outcomes = new Set(histories.map((h) => h.workflowId.replace(/-[a-z0-9]+\.json$/, '')));
    assert.deepEqual(
      [...outcomes].sort(),
      [
        'offboard-tenant-cancelled',
        'offboard-tenant-completed',
        'offboard-tenant-disconnected-connections',
        'offboard-tenant-ended-promotions',
        'offboard-tenant-ended-plan-change',
        'offboard-tenant-final-reconciliation',
        'provision-tenant-approved',
        'provision-tenant-compensated',
        'provision-tenant-completed',
        'provision-tenant-expired',
        'provision-tenant-rejected',
        'provision-tenant-two-approvals',
        'reactivate-tenant-completed',
        'suspend-tenant-completed',
        'suspend-tenant-paused-schedules',
        'reactivate-tenant-resumed-schedules',
        'deliver-webhook-events-disabled',
        'deliver-webhook-events-disabled-after-pause',
        'deliver-webhook-events-idle',
        'deliver-webhook-events-tenant-suspended',
        'replay-webhook-events-completed',
        'replay-webhook-events-stopped',
        'tenant-billing-admin-suspension-kept',
        'tenant-billing-continued-as-new',
        'tenant-billing-dunning-lifted',
        'tenant-billing-subscription-followed',
        'change-plan-approved',
        'change-plan-cancelled',
        'change-plan-offboarded',
        'change-plan-rejected',
        'change-plan-downgraded-now',
        'change-plan-upgraded',
        'connect-connector-completed',
        'connect-connector-denied',
        'connect-connector-expired',
        'connect-connector-failed',
        'disconnect-connector-completed',
        'maintain-connection-stopped',
        'maintain-connection-shared-refresh',
        'maintain-connection-needs-reauth',
        'sync-connection-succeeded',
        'sync-connection-failed',
        'rotate-secret-completed',
        'rotate-secret-rolled-back',
        'rotate-secret-scheduled',
        'rotate-secret-confirmed',
        'rotate-secret-unconfirmed',
        'scheduled-secret-rotation-completed',
        'rotate-signing-key-completed',
        'rotate-signing-key-withdrawn',
        'rotate-signing-key-licenses',
        'scheduled-signing-key-rotation-completed',
        'change-secret-with-approval-applied',
        'change-secret-with-approval-rejected',
        'reveal-secret-with-approval-granted',
        'reveal-secret-with-approval-rejected',
        'rotate-database-login-completed',
        'rotate-database-login-rolled-back',
        'scheduled-database-login-rotation-completed',
        'provision-tenant-plan-environments',
        'create-environment-completed',
        'create-environment-failed',
        'delete-environment-completed',
        'delete-environment-failed',
        'promote-release-succeeded',
        'promote-release-rolled-back',
        'promote-release-approved',
        'promote-release-two-approvals',
        'promote-release-soaked',
        'promote-release-frozen',
        'promote-release-suspended',
        'reconcile-metering-corrected',
        'reconcile-metering-unchanged',
      ].sort(),
    );
  });

  it('has committed histories for every workflow type in the catalogue', () => {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    for (const kind of OPERATION_KINDS) {
      const prefix = `${kebab(OPERATION_CATALOGUE[kind].workflowType)}-`;
      assert.ok(
        histories.some((h) => h.workflowId.startsWith(prefix)),
        `no history of ${OPERATION_CATALOGUE[kind].workflowType} (${kind}) in tests/histories/: record one (see above)`,
      );
    }
  });

  it('replays every committed history with the current workflow code', async () => {
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS, replayName: 'atrium-replay' },
      histories,
    )) {
      results.push(result);
    }
    assert.equal(results.length, histories.length);
    for (const result of results)
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  });

  it('replays every committed history with the worker’s interceptors, tracing on', async () => {
    // The metrics interceptor and the SDK's OpenTelemetry workflow interceptors, as a worker
    // with OTEL_EXPORTER_OTLP_ENDPOINT set bundles them: they add no commands, so histories
    // recorded without them (and with them) replay.
    const results = [];
    for await (const result of Worker.runReplayHistories(
      {
        workflowsPath: WORKFLOWS,
        replayName: 'atrium-replay-traced',
        interceptors: { workflowModules: workflowInterceptorModules({ tracing: true }) },
        sinks: { ...DISCARDED_RUN_NOTES, exporter: makeWorkflowExporter(new NoopSpanProcessor(), Resource.empty()) },
      },
      histories,
    )) {
      results.push(result);
    }
    assert.equal(results.length, histories.length);
    for (const result of results)
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
  });

  it('catches a non-deterministic change', async () => {
    const completed = histories.filter((h) => h.workflowId.startsWith('provision-tenant-completed-'));
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: REORDERED, replayName: 'atrium-replay-bad' },
      completed,
    )) {
      results.push(result);
    }
    assert.equal(results.length, completed.length);
    for (const result of results) {
      assert.ok(result.error instanceof DeterminismViolationError, `${result.workflowId}: got ${String(result.error)}`);
    }
  });
});
