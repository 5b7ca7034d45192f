// offboardTenant with typed activity stand-ins on an in-process worker: the cancel signal
// during the grace period (reopens, deletes nothing), a cancel once deletion began (refused),
// a Temporal cancel during the grace period, a deletion step that fails for good, the open
// promotions and plan change ended before the approvals step, and the
// last step waiting (a bounded time) for tenant.offboarded to reach the webhook endpoints
// before deleting them. Grace periods are short or ended by the signal: this dev server does
// not skip time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { MeteringActivities } from '../../activities/metering/index.ts';
import type { TenantOffboardingActivities } from '../../activities/tenant-offboarding/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OffboardTenantInput } from '../../workflows/tenant-offboarding/contract.ts';
import {
  cancelOffboardingSignal,
  OFFBOARD_DELETION_STEPS,
  offboardingStateQuery,
  offboardTenantWorkflowId,
} from '../../workflows/tenant-offboarding/contract.ts';
import type { offboardTenant } from '../../workflows/tenant-offboarding/index.ts';
import type { OperationProgress } from '../../workflows/shared/operation.contract.ts';
import { getProgressQuery } from '../../workflows/shared/operation.contract.ts';
import type { Scenario, WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, gate, startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

// The final reconciliation runs the metering family's activities on the queue the input names:
// here this file's queue, so the stand-ins answer for both families.
type Activities = TenantOffboardingActivities & MeteringActivities;

const succeed = {
  closeTenantForOffboarding: () => Promise.resolve({ previousStatus: 'suspended' as const }),
  exportTenantData: ({ slug }) =>
    Promise.resolve({
      fileName: `atrium-export-${slug}.tar.gz`,
      sizeBytes: 1024,
      sha256: 'f'.repeat(64),
      contents: { tables: {}, schemaTables: {}, secrets: 1, auditEntries: 9 },
    }),
  reopenTenant: async () => {},
  listTenantConnections: () => Promise.resolve({ connectionIds: ['conn-1'] }),
  offboardConnection: () => Promise.resolve({ revocation: 'rfc7009' }),
  offboardSchedules: () => Promise.resolve({ deleted: ['sync-1'] }),
  listTenantOpenPromotions: () => Promise.resolve({ promotions: [{ environment: 'production', number: 3 }] }),
  offboardPromotion: ({ environment, number }) =>
    Promise.resolve({
      environment,
      number,
      release: 7,
      previousStatus: 'awaiting-approval',
      status: 'failed',
      endedByOffboarding: true,
      workflow: { id: `promotion/x/${environment}/${number}`, status: 'CANCELLED' },
      recordedAt: new Date().toISOString(),
    }),
  listTenantOpenPlanChanges: () => Promise.resolve({ numbers: [] }),
  offboardPlanChange: ({ number }) =>
    Promise.resolve({
      number,
      from: 'team',
      to: 'enterprise',
      previousStatus: 'awaiting-approval',
      status: 'cancelled',
      endedByOffboarding: true,
      workflow: { id: `tenant-plan/x/${number}`, status: 'CANCELLED' },
      recordedAt: new Date().toISOString(),
    }),
  offboardApprovalRequests: () => Promise.resolve({ closed: ['request-1'] }),
  offboardEnvironments: () => Promise.resolve({ deleted: ['production'] }),
  offboardNamespaces: ({ slug }) => Promise.resolve({ skipped: null, deleted: [`${slug}-production`] }),
  offboardSecrets: () => Promise.resolve({ destroyed: 1 }),
  offboardDatabase: ({ slug }) => Promise.resolve({ roleName: `tenant_${slug}_login`, schemaName: `tenant_${slug}` }),
  reportTenantWindows: () => Promise.resolve({ reported: 2, flagged: 0 }),
  checkTenantWindows: () => Promise.resolve({ checked: 2, matched: 2, corrections: 0, flagged: 0, pending: 0 }),
  signReconciliationRecords: () => Promise.resolve({ signed: 1 }),
  recordFinalReconciliation: () => Promise.resolve({ windows: 2, unreported: 0, flagged: 0, records: 1 }),
  offboardBilling: () => Promise.resolve({ customerDeleted: true }),
  completeOffboarding: () => Promise.resolve({ resources: 9 }),
  listTenantWebhookEndpoints: () => Promise.resolve({ endpointIds: [] }),
  awaitedFinalWebhookDeliveries: () => Promise.resolve({ waitingFor: [] }),
  offboardWebhookEndpoints: () => Promise.resolve({ endpointIds: [] }),
} satisfies Partial<Activities>;

const DELETIONS = [
  'listTenantConnections',
  'offboardConnection',
  'offboardSchedules',
  'listTenantOpenPromotions',
  'offboardPromotion',
  'listTenantOpenPlanChanges',
  'offboardApprovalRequests',
  'offboardNamespaces',
  'offboardEnvironments',
  'offboardSecrets',
  'offboardDatabase',
  'reportTenantWindows',
  'checkTenantWindows',
  'signReconciliationRecords',
  'recordFinalReconciliation',
  'offboardBilling',
  'completeOffboarding',
  'listTenantWebhookEndpoints',
  'awaitedFinalWebhookDeliveries',
  'offboardWebhookEndpoints',
];
const staff: AuditActor = { type: 'user', id: 'staff', requestId: 'req-offboard', ip: null };
const canceller: AuditActor = { type: 'user', id: 'other-admin', requestId: 'req-cancel', ip: null };

describe('offboardTenant (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('tenant-offboarding');
  });
  after(async () => {
    await harness?.stop();
  });

  let counter = 0;
  function start(s: Scenario, gracePeriodMs: number, extra: Partial<OffboardTenantInput> = {}) {
    counter += 1;
    const slug = `wf-off-${counter}-${randomUUID().slice(0, 8)}`;
    const input: OffboardTenantInput = {
      tenantId: randomUUID(),
      slug,
      reason: 'contract ended',
      gracePeriodMs,
      requestedBy: staff,
      timings: TEST_TIMINGS,
      finalReconciliation: {
        taskQueue: harness.taskQueue,
        policy: {
          settlingDelayMs: 100,
          correctionWindowMs: 35 * 86_400_000,
          resendHorizonMs: 12 * 3_600_000,
          checkRounds: 3,
        },
      },
      ...extra,
    };
    return s.start<typeof offboardTenant>('offboardTenant', input, offboardTenantWorkflowId(slug));
  }
  const statusOf = (progress: OperationProgress, step: string) =>
    progress.steps.find((candidate) => candidate.name === step)?.status;

  it('a cancel during the grace period reopens the tenant, deletes nothing and ends cancelled', async () => {
    await harness.withWorker(succeed, async (s) => {
      const handle = await start(s, 60_000);
      await s.waitUntil(
        'the grace period runs',
        async () => statusOf(await handle.query(getProgressQuery), 'grace') === 'running',
      );
      const waiting = await handle.query(offboardingStateQuery);
      assert.ok(waiting.deleteAfter && Date.parse(waiting.deleteAfter) > Date.now() + 50_000, waiting.deleteAfter!);
      await handle.signal(cancelOffboardingSignal, { requestId: 'cancel-1', requestedBy: canceller });

      const result = await handle.result();
      assert.equal(result.outcome, 'cancelled');
      assert.deepEqual(s.names(), ['closeTenantForOffboarding', 'exportTenantData', 'reopenTenant']);
      assert.deepEqual(s.inputOf('reopenTenant'), {
        tenantId: result.tenantId,
        previousStatus: 'suspended',
        actor: canceller,
      });
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(result.progress, progress);
      assert.equal(progress.phase, 'cancelled');
      assert.deepEqual([statusOf(progress, 'export'), statusOf(progress, 'grace')], ['completed', 'completed']);
      for (const step of OFFBOARD_DELETION_STEPS) {
        const reported = progress.steps.find((candidate) => candidate.name === step);
        assert.deepEqual(
          [reported?.status, reported?.error],
          ['skipped', 'offboarding cancelled during the grace period; nothing was deleted'],
        );
      }
      const state = await handle.query(offboardingStateQuery);
      assert.deepEqual(
        [state.cancelled, state.deletionStarted, state.cancelRequests],
        [true, false, [{ requestId: 'cancel-1', accepted: true }]],
      );
    });
  });

  it('refuses a cancel once deletion began, and finishes the offboarding', async () => {
    const deleting = gate();
    const standIns = {
      ...succeed,
      offboardNamespaces: async (input) => {
        await deleting.wait;
        return succeed.offboardNamespaces(input);
      },
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, 200);
      await s.waitUntil('deletion began', () => s.names().includes('offboardNamespaces'));
      await handle.signal(cancelOffboardingSignal, { requestId: 'cancel-late', requestedBy: canceller });
      await s.waitUntil(
        'the workflow answered the late cancel',
        async () => (await handle.query(offboardingStateQuery)).cancelRequests.length > 0,
      );
      const state = await handle.query(offboardingStateQuery);
      assert.deepEqual(
        [state.cancelled, state.deletionStarted, state.cancelRequests],
        [false, true, [{ requestId: 'cancel-late', accepted: false }]],
      );
      deleting.open();

      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      assert.equal(result.progress.phase, 'completed');
      assert.deepEqual(s.names(), ['closeTenantForOffboarding', 'exportTenantData', ...DELETIONS]);
      assert.ok(
        result.progress.steps.every((step) => step.status === 'completed'),
        JSON.stringify(result.progress.steps),
      );
    });
  });

  it('reconciles the usage up to the end of the current hour, read back after the settling delay, before the customer is deleted', async () => {
    let checks = 0;
    const standIns = {
      ...succeed,
      // The first read-back finds a correction still settling: one more round.
      checkTenantWindows: () =>
        Promise.resolve({ checked: 2, matched: 1, corrections: 1, flagged: 1, pending: ++checks < 2 ? 1 : 0 }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const before = Date.now();
      const handle = await start(s, 100);
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      const names = s.names();
      assert.deepEqual(names.slice(names.indexOf('offboardDatabase') + 1, names.indexOf('offboardBilling') + 1), [
        'reportTenantWindows',
        'checkTenantWindows',
        'checkTenantWindows',
        'signReconciliationRecords',
        'recordFinalReconciliation',
        'offboardBilling',
      ]);
      const report = s.inputOf('reportTenantWindows');
      const hour = 3_600_000;
      const closedBefore = Date.parse(report.closedBefore);
      assert.equal(closedBefore % hour, 0);
      assert.ok(closedBefore > before && closedBefore <= Date.now() + hour, report.closedBefore);
      assert.equal(Date.parse(report.scanFrom), closedBefore - 49 * 86_400_000);
      assert.equal(report.tenantId, result.tenantId);
      const rounds = s.calls.filter((call) => call.name === 'checkTenantWindows').map((call) => call.input.round);
      assert.deepEqual(rounds, [1, 2]);
      const recorded = s.inputOf('recordFinalReconciliation');
      assert.deepEqual(
        [recorded.closedBefore, recorded.reported, recorded.corrections, recorded.rounds, recorded.signed],
        [report.closedBefore, 2, 2, 2, 1],
      );
      assert.equal(statusOf(result.progress, 'metering'), 'completed');
    });
  });

  it('skips the final reconciliation of a run started without it (before it existed)', async () => {
    await harness.withWorker(succeed, async (s) => {
      const handle = await start(s, 100, { finalReconciliation: undefined });
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      assert.ok(!s.names().includes('reportTenantWindows'));
      const metering = result.progress.steps.find((step) => step.name === 'metering');
      assert.deepEqual(
        [metering?.status, metering?.error],
        ['skipped', 'this offboarding was started before it reconciled usage: the hourly runs did'],
      );
    });
  });

  it('ends each open promotion and closes the pending approvals before the namespaces go, then marks the environments deleted', async () => {
    const standIns = {
      ...succeed,
      listTenantOpenPromotions: () =>
        Promise.resolve({
          promotions: [
            { environment: 'staging', number: 4 },
            { environment: 'production', number: 2 },
          ],
        }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, 100);
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      const names = s.names();
      assert.deepEqual(names.slice(names.indexOf('offboardSchedules') + 1, names.indexOf('offboardSecrets')), [
        'listTenantOpenPromotions',
        'offboardPromotion',
        'offboardPromotion',
        'listTenantOpenPlanChanges',
        'offboardApprovalRequests',
        'offboardNamespaces',
        'offboardEnvironments',
      ]);
      const ended = s.calls
        .filter((call) => call.name === 'offboardPromotion')
        .map((call) => call.input as { environment: string; number: number; actor: AuditActor });
      assert.deepEqual(
        ended.map(({ environment, number, actor }) => [environment, number, actor]),
        [
          ['staging', 4, staff],
          ['production', 2, staff],
        ],
      );
      for (const step of ['promotions', 'approvals', 'environments'])
        assert.equal(statusOf(result.progress, step), 'completed', step);
    });
  });

  it('ends the open plan change (awaiting approval) after the promotions, before the approvals step closes its request', async () => {
    const standIns = {
      ...succeed,
      listTenantOpenPlanChanges: () => Promise.resolve({ numbers: [3] }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, 100);
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      const names = s.names();
      assert.deepEqual(names.slice(names.indexOf('offboardPromotion') + 1, names.indexOf('offboardNamespaces')), [
        'listTenantOpenPlanChanges',
        'offboardPlanChange',
        'offboardApprovalRequests',
      ]);
      const ended = s.inputOf('offboardPlanChange');
      assert.deepEqual([ended.tenantId, ended.number, ended.actor], [result.tenantId, 3, staff]);
      for (const step of ['promotions', 'plan-changes', 'approvals'])
        assert.equal(statusOf(result.progress, step), 'completed', step);
    });
  });

  it('keeps the webhook secrets for the last step, which waits for tenant.offboarded before deleting the endpoints', async () => {
    let checks = 0;
    const standIns = {
      ...succeed,
      listTenantWebhookEndpoints: () => Promise.resolve({ endpointIds: ['endpoint-a', 'endpoint-b'] }),
      // Endpoint a gets the final event at the third look.
      awaitedFinalWebhookDeliveries: () => Promise.resolve({ waitingFor: ++checks < 3 ? ['endpoint-a'] : [] }),
      offboardWebhookEndpoints: () => Promise.resolve({ endpointIds: ['endpoint-a', 'endpoint-b'] }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, 100, { finalWebhookDeliveryWaitMs: 60_000 });
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      assert.deepEqual(s.inputOf('offboardSecrets').keepWebhookSecrets, true);
      const names = s.names();
      assert.deepEqual(names.slice(names.indexOf('completeOffboarding') + 1), [
        'listTenantWebhookEndpoints',
        'awaitedFinalWebhookDeliveries',
        'awaitedFinalWebhookDeliveries',
        'awaitedFinalWebhookDeliveries',
        'offboardWebhookEndpoints',
      ]);
      assert.equal(statusOf(result.progress, 'webhooks'), 'completed');
    });
  });

  it('deletes the endpoints when the wait for the final delivery runs out (a failing endpoint loses it)', async () => {
    const standIns = {
      ...succeed,
      awaitedFinalWebhookDeliveries: () => Promise.resolve({ waitingFor: ['failing-endpoint'] }),
      offboardWebhookEndpoints: () => Promise.resolve({ endpointIds: ['failing-endpoint'] }),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const started = Date.now();
      const handle = await start(s, 100, { finalWebhookDeliveryWaitMs: 2_500 });
      const result = await handle.result();
      assert.equal(result.outcome, 'offboarded');
      assert.ok(Date.now() - started >= 2_500, 'it waited the whole wait');
      assert.equal(s.names().at(-1), 'offboardWebhookEndpoints');
      // Looked at 0 s, 1 s, 3 s (capped at the deadline): three looks, no endless polling.
      assert.equal(s.names().filter((name) => name === 'awaitedFinalWebhookDeliveries').length, 3);
      assert.equal(statusOf(result.progress, 'webhooks'), 'completed');
    });
  });

  it('a Temporal cancel during the grace period reopens the tenant too', async () => {
    await harness.withWorker(succeed, async (s) => {
      const handle = await start(s, 60_000);
      await s.waitUntil(
        'the grace period runs',
        async () => statusOf(await handle.query(getProgressQuery), 'grace') === 'running',
      );
      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure, String(error));
      assert.deepEqual(s.names(), ['closeTenantForOffboarding', 'exportTenantData', 'reopenTenant']);
      assert.deepEqual(
        [s.inputOf('reopenTenant').previousStatus, s.inputOf('reopenTenant').actor],
        ['suspended', staff],
      );
      const progress = await handle.query(getProgressQuery);
      assert.equal(progress.phase, 'cancelled');
      assert.deepEqual(
        OFFBOARD_DELETION_STEPS.map((step) => statusOf(progress, step)),
        OFFBOARD_DELETION_STEPS.map(() => 'skipped'),
      );
    });
  });

  it('stops at a deletion step that fails for good, leaving the tenant offboarding (no reopen)', async () => {
    const standIns = {
      ...succeed,
      offboardDatabase: () =>
        Promise.reject(ApplicationFailure.nonRetryable('permission denied to drop role', 'TenantDatabaseRoleRefused')),
    } satisfies Partial<Activities>;
    await harness.withWorker(standIns, async (s) => {
      const handle = await start(s, 100);
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TenantOffboardingFailed');
      assert.match(failure.message, /permission denied to drop role/);
      assert.deepEqual(s.names(), [
        'closeTenantForOffboarding',
        'exportTenantData',
        'listTenantConnections',
        'offboardConnection',
        'offboardSchedules',
        'listTenantOpenPromotions',
        'offboardPromotion',
        'listTenantOpenPlanChanges',
        'offboardApprovalRequests',
        'offboardNamespaces',
        'offboardEnvironments',
        'offboardSecrets',
        'offboardDatabase',
      ]);
      const progress = await handle.query(getProgressQuery);
      assert.deepEqual(failure.details?.[0], progress);
      assert.equal(progress.phase, 'failed');
      assert.deepEqual(
        [
          'connections',
          'promotions',
          'plan-changes',
          'approvals',
          'namespaces',
          'environments',
          'secrets',
          'database',
          'billing',
          'report',
          'webhooks',
        ].map((step) => statusOf(progress, step)),
        [
          'completed',
          'completed',
          'completed',
          'completed',
          'completed',
          'completed',
          'completed',
          'failed',
          'pending',
          'pending',
          'pending',
        ],
      );
    });
  });
});
