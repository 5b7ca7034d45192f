// reconcileMetering: one hourly run of metering reconciliation (docs/decisions/0027). It fixes
// its clock once (the closed windows end at the last full hour), reports every tenant's closed
// windows, sleeps the settling delay, reads back what Stripe counted and corrects drift (a
// correction is read back again after another delay, a few rounds at most; what is left is the
// next run's), then signs the tenants' reconciliation records. Windows missed while Atrium was
// down are simply still unreported: the next run takes them, so catching up needs no replay of
// missed Schedule actions.
//
// Tenants go to the activities in batches of METERING_TENANT_BATCH (patch
// `metering-batched-tenants`): each step costs a few activity round trips, not one per tenant.
// Runs recorded before the patch call the single-tenant activities, one tenant per call.
import { patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { MeteringActivities } from '../../activities/metering/index.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type {
  MeteringTenant,
  ReconcileMeteringInput,
  ReconcileMeteringResult,
  ReconcileMeteringStep,
} from './contract.ts';
import {
  METERING_BATCHED_TENANTS_PATCH,
  METERING_TENANT_BATCH,
  METERING_VERIFY_BEYOND_CORRECTION_MS,
  METERING_WINDOW_MS,
  RECONCILE_METERING_KIND,
  RECONCILE_METERING_STEPS,
} from './contract.ts';

export async function reconcileMetering(input: ReconcileMeteringInput): Promise<ReconcileMeteringResult> {
  const { policy, timings } = input;
  // Stripe and PostgreSQL: rate limits and restarts pass; every activity is retry-safe.
  const activities = proxyActivities<MeteringActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  const tracker = new StepTracker<ReconcileMeteringStep>(RECONCILE_METERING_KIND, null, RECONCILE_METERING_STEPS);
  const startedAt = Date.now();
  const closedBefore = Math.floor(startedAt / METERING_WINDOW_MS) * METERING_WINDOW_MS;
  const scanFrom = closedBefore - policy.correctionWindowMs - METERING_VERIFY_BEYOND_CORRECTION_MS;
  const window = { closedBefore: new Date(closedBefore).toISOString(), scanFrom: new Date(scanFrom).toISOString() };
  const acceptAfter = (now: number) => new Date(now - policy.correctionWindowMs).toISOString();

  const batched = patched(METERING_BATCHED_TENANTS_PATCH);
  /** The calls of a step: batches of tenants, or (runs from before the patch) one tenant each. */
  const callsFor = (list: MeteringTenant[]): MeteringTenant[][] =>
    batched ? inBatches(list, METERING_TENANT_BATCH) : list.map((tenant) => [tenant]);

  const tenants = await tracker.run('plan', () => activities.listMeteringTenants(window));
  const totals = { reported: 0, corrections: 0, signed: 0 };
  // Per tenant, as the last activity found them: window states, not events of this run.
  const flagged = new Map<string, number>();
  const matched = new Map<string, number>();

  await tracker.run('report', () =>
    inGroups(callsFor(tenants), policy.tenantConcurrency, async (call) => {
      const clock = {
        ...window,
        now: new Date(Date.now()).toISOString(),
        acceptAfter: acceptAfter(Date.now()),
        resendAfter: new Date(Date.now() - policy.resendHorizonMs).toISOString(),
      };
      const results = batched
        ? await activities.reportTenantBatch({ tenants: call, ...clock })
        : [{ ...(await activities.reportTenantWindows({ ...call[0]!, ...clock })), tenantId: call[0]!.tenantId }];
      for (const result of results) {
        totals.reported += result.reported;
        flagged.set(result.tenantId, result.flagged);
      }
    }),
  );

  let checking: MeteringTenant[] = tenants;
  for (let round = 1; round <= policy.checkRounds && checking.length > 0; round += 1) {
    tracker.note('settle', `Round ${round}: ${checking.length} tenant(s)`);
    await tracker.run('settle', () => sleep(policy.settlingDelayMs));
    const again: MeteringTenant[] = [];
    await tracker.run('check', () =>
      inGroups(callsFor(checking), policy.tenantConcurrency, async (call) => {
        const clock = {
          ...window,
          now: new Date(Date.now()).toISOString(),
          acceptAfter: acceptAfter(Date.now()),
          settledBefore: new Date(Date.now() - policy.settlingDelayMs).toISOString(),
          resendAfter: new Date(Date.now() - policy.resendHorizonMs).toISOString(),
          round,
        };
        const results = batched
          ? await activities.checkTenantBatch({ tenants: call, ...clock })
          : [{ ...(await activities.checkTenantWindows({ ...call[0]!, ...clock })), tenantId: call[0]!.tenantId }];
        for (const result of results) {
          totals.corrections += result.corrections;
          flagged.set(result.tenantId, result.flagged);
          matched.set(result.tenantId, result.matched);
          if (result.pending > 0) again.push(call.find((tenant) => tenant.tenantId === result.tenantId)!);
        }
      }),
    );
    checking = again;
  }

  const signedAt = new Date(Date.now()).toISOString();
  await tracker.run('sign', () =>
    inGroups(callsFor(tenants), policy.tenantConcurrency, async (call) => {
      const results = batched
        ? await activities.signTenantBatch({ tenants: call, signedAt })
        : [await activities.signReconciliationRecords({ ...call[0]!, signedAt })];
      for (const result of results) totals.signed += result.signed;
    }),
  );
  tracker.setPhase('completed');
  return {
    closedBefore: window.closedBefore,
    tenants: tenants.length,
    ...totals,
    flagged: [...flagged.values()].reduce((sum, n) => sum + n, 0),
    matched: [...matched.values()].reduce((sum, n) => sum + n, 0),
    progress: tracker.snapshot(),
  };
}

/** The items in consecutive batches of at most `size`. */
function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let index = 0; index < items.length; index += size) batches.push(items.slice(index, index + size));
  return batches;
}

/** Runs `work` for every item, `size` at a time (a failure fails the run: the activities retry first). */
async function inGroups<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let index = 0; index < items.length; index += size)
    await Promise.all(items.slice(index, index + size).map(work));
}
