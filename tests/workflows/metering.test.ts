// reconcileMetering with typed activity stand-ins: the run fixes its clock once (closed windows
// end at the run's hour, the scan reaches the correction window and 14 days past it), reports
// every tenant, reads back after the settling delay, reads back again only the tenants whose
// corrections wait for it (at most `checkRounds` times), and signs every tenant's records, handing
// the activities batches of tenants; with no usage anywhere it signs nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { MeteringActivities } from '../../activities/metering/index.ts';
import type { MeteringPolicy, MeteringTenant } from '../../workflows/metering/contract.ts';
import { METERING_VERIFY_BEYOND_CORRECTION_MS, METERING_WINDOW_MS } from '../../workflows/metering/contract.ts';
import type { reconcileMetering } from '../../workflows/metering/index.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const DAY = 86_400_000;
const policy: MeteringPolicy = {
  settlingDelayMs: 200,
  correctionWindowMs: 35 * DAY,
  resendHorizonMs: 12 * 3_600_000,
  checkRounds: 3,
  tenantConcurrency: 2,
};

type Stand<K extends keyof MeteringActivities> = (
  input: Parameters<MeteringActivities[K]>[0],
) => ReturnType<MeteringActivities[K]>;

function standIns(
  tenants: MeteringTenant[],
  pendingRounds: Record<string, number>,
): {
  listMeteringTenants: Stand<'listMeteringTenants'>;
  reportTenantWindows: Stand<'reportTenantWindows'>;
  checkTenantWindows: Stand<'checkTenantWindows'>;
  signReconciliationRecords: Stand<'signReconciliationRecords'>;
  reportTenantBatch: Stand<'reportTenantBatch'>;
  checkTenantBatch: Stand<'checkTenantBatch'>;
  signTenantBatch: Stand<'signTenantBatch'>;
} {
  const single: {
    listMeteringTenants: Stand<'listMeteringTenants'>;
    reportTenantWindows: Stand<'reportTenantWindows'>;
    checkTenantWindows: Stand<'checkTenantWindows'>;
    signReconciliationRecords: Stand<'signReconciliationRecords'>;
  } = {
    listMeteringTenants: () => Promise.resolve(tenants),
    reportTenantWindows: () => Promise.resolve({ reported: 3, flagged: 1 }),
    checkTenantWindows: (input) =>
      Promise.resolve({
        checked: 3,
        matched: input.round > (pendingRounds[input.slug] ?? 0) ? 3 : 2,
        corrections: input.round <= (pendingRounds[input.slug] ?? 0) ? 1 : 0,
        flagged: 1,
        pending: input.round <= (pendingRounds[input.slug] ?? 0) ? 1 : 0,
      }),
    signReconciliationRecords: () => Promise.resolve({ signed: 2 }),
  };
  // A batch answers for each of its tenants what the single-tenant stand-in would.
  return {
    ...single,
    reportTenantBatch: async ({ tenants: batch, ...input }) =>
      Promise.all(
        batch.map(async (t) => ({ ...(await single.reportTenantWindows({ ...input, ...t })), tenantId: t.tenantId })),
      ),
    checkTenantBatch: async ({ tenants: batch, ...input }) =>
      Promise.all(
        batch.map(async (t) => ({ ...(await single.checkTenantWindows({ ...input, ...t })), tenantId: t.tenantId })),
      ),
    signTenantBatch: async ({ tenants: batch, signedAt }) =>
      Promise.all(
        batch.map(async (t) => ({
          ...(await single.signReconciliationRecords({ ...t, signedAt })),
          tenantId: t.tenantId,
        })),
      ),
  };
}

describe('reconcileMetering (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('metering');
  });
  after(async () => {
    await harness?.stop();
  });

  const tenant = (slug: string): MeteringTenant => ({ tenantId: randomUUID(), slug });

  it('reports, settles, reads back (again only where a correction waits), and signs', async () => {
    const tenants = [tenant('alpha'), tenant('beta'), tenant('gamma')];
    await harness.withWorker(standIns(tenants, { alpha: 1 }), async (s) => {
      const started = Date.now();
      const handle = await s.start<typeof reconcileMetering>(
        'reconcileMetering',
        { policy, timings: TEST_TIMINGS },
        `metering-reconcile/wftest-${randomUUID().slice(0, 8)}`,
      );
      const result = await handle.result();
      // Three tenants fit one batch: one call per step, and one for alpha's second read-back.
      assert.deepEqual(s.names(), [
        'listMeteringTenants',
        'reportTenantBatch',
        'checkTenantBatch',
        'checkTenantBatch',
        'signTenantBatch',
      ]);
      const list = s.inputOf('listMeteringTenants') as { closedBefore: string; scanFrom: string };
      const closedBefore = Date.parse(list.closedBefore);
      assert.equal(closedBefore % METERING_WINDOW_MS, 0, 'windows close on the hour');
      assert.ok(closedBefore <= started && started - closedBefore < METERING_WINDOW_MS + 60_000);
      assert.equal(
        Date.parse(list.scanFrom),
        closedBefore - policy.correctionWindowMs - METERING_VERIFY_BEYOND_CORRECTION_MS,
      );
      const checks = s.calls
        .filter((call) => call.name === 'checkTenantBatch')
        .flatMap((call) =>
          (call.input as { tenants: MeteringTenant[] }).tenants.map((t) => ({ ...call.input, slug: t.slug })),
        );
      assert.deepEqual(checks.map((input: { slug: string; round: number }) => [input.slug, input.round]).sort(), [
        ['alpha', 1],
        ['alpha', 2],
        ['beta', 1],
        ['gamma', 1],
      ]);
      for (const input of checks as Array<{ settledBefore: string; acceptAfter: string; closedBefore: string }>) {
        assert.equal(input.closedBefore, list.closedBefore, 'one clock for the whole run');
        assert.ok(Date.parse(input.settledBefore) >= closedBefore);
      }
      assert.deepEqual(
        { ...result, progress: undefined },
        {
          closedBefore: list.closedBefore,
          tenants: 3,
          reported: 9,
          corrections: 1,
          flagged: 3,
          matched: 9,
          signed: 6,
          progress: undefined,
        },
      );
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status]),
        [
          ['plan', 'completed'],
          ['report', 'completed'],
          ['settle', 'completed'],
          ['check', 'completed'],
          ['sign', 'completed'],
        ],
      );
      assert.equal(result.progress.tenantId, null, 'a platform-wide operation');
    });
  });

  it('hands the activities batches of 25 tenants, two calls at a time, each tenant once per step', async () => {
    const many = Array.from({ length: 60 }, (_, index) => tenant(`t${String(index).padStart(2, '0')}`));
    await harness.withWorker(standIns(many, {}), async (s) => {
      const handle = await s.start<typeof reconcileMetering>(
        'reconcileMetering',
        { policy, timings: TEST_TIMINGS },
        `metering-reconcile/wftest-${randomUUID().slice(0, 8)}`,
      );
      const result = await handle.result();
      for (const name of ['reportTenantBatch', 'checkTenantBatch', 'signTenantBatch']) {
        const batches = s.calls
          .filter((call) => call.name === name)
          .map((call) => (call.input as { tenants: MeteringTenant[] }).tenants.map((t) => t.slug));
        assert.deepEqual(
          batches.map((batch) => batch.length).sort(),
          [10, 25, 25],
          name,
        );
        // Two calls run at once: they may start in either order.
        assert.deepEqual(batches.flat().sort(), many.map((t) => t.slug), `${name}: every tenant once`);
      }
      assert.ok(!s.names().some((name) => name.endsWith('TenantWindows') || name === 'signReconciliationRecords'));
      assert.deepEqual([result.tenants, result.reported, result.signed, result.matched], [60, 180, 120, 180]);
    });
  });

  it('reads back at most checkRounds times, leaving the rest to the next run', async () => {
    await harness.withWorker(standIns([tenant('stubborn')], { stubborn: 99 }), async (s) => {
      const handle = await s.start<typeof reconcileMetering>(
        'reconcileMetering',
        { policy, timings: TEST_TIMINGS },
        `metering-reconcile/wftest-${randomUUID().slice(0, 8)}`,
      );
      const result = await handle.result();
      assert.equal(s.names().filter((name) => name === 'checkTenantBatch').length, policy.checkRounds);
      assert.equal(result.corrections, policy.checkRounds);
    });
  });

  it('with no usage anywhere: nothing to report, read back or sign', async () => {
    await harness.withWorker(standIns([], {}), async (s) => {
      const handle = await s.start<typeof reconcileMetering>(
        'reconcileMetering',
        { policy, timings: TEST_TIMINGS },
        `metering-reconcile/wftest-${randomUUID().slice(0, 8)}`,
      );
      const result = await handle.result();
      assert.deepEqual(s.names(), ['listMeteringTenants']);
      assert.equal(result.tenants, 0);
      assert.equal(result.signed, 0);
    });
  });
});
