// One tenant's final metering reconciliation, run inside another workflow (offboardTenant,
// before the billing customer is deleted): the same activities as the hourly reconcileMetering,
// on the metering family's task queue, for one tenant and up to the end of the current hour —
// the open window included, since no later run will find a customer to report it to.
//
// "One report per window" holds as it does for the hourly runs (docs/decisions/0027): every
// report is recorded `pending` in metering_reports under the tenant's lock before it is sent,
// and a window is sent only what its usage exceeds `expected`. An hourly run working on the
// same tenant at the same time plans under the same lock, so neither sends what the other
// recorded; its windows all end before this one's `closedBefore`.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { MeteringActivities } from '../../activities/metering/index.ts';
import type { ActivityTimings } from '../shared/operation.contract.ts';
import type { MeteringPolicy, MeteringTenant } from './contract.ts';
import { METERING_VERIFY_BEYOND_CORRECTION_MS, METERING_WINDOW_MS } from './contract.ts';

export interface TenantReconciliationOptions {
  /** The metering family's task queue (`<prefix>-metering`), where its activities run. */
  taskQueue: string;
  policy: Pick<MeteringPolicy, 'settlingDelayMs' | 'correctionWindowMs' | 'resendHorizonMs' | 'checkRounds'>;
  timings: ActivityTimings;
}

export interface TenantReconciliationResult {
  /** Windows starting before this (the end of the hour the run began in) were reconciled. */
  closedBefore: string;
  /** Meter events sent: first reports and late arrivals. */
  reported: number;
  /** Corrections sent after a read-back. */
  corrections: number;
  /** Windows a person must look at, as the last read-back left them. */
  flagged: number;
  /** Windows whose read-back matched. */
  matched: number;
  /** Read-back rounds run. */
  rounds: number;
  /** Reconciliation records (re)signed. */
  signed: number;
}

/**
 * Reports the tenant's windows up to the end of the current hour, reads back what the
 * provider counted (after the settling delay when something was sent: this step's reports,
 * or an hourly run's not yet settled), corrects drift, and signs its records.
 */
export async function reconcileTenantNow(
  tenant: MeteringTenant,
  options: TenantReconciliationOptions,
): Promise<TenantReconciliationResult> {
  const { policy, timings } = options;
  // As the offboarding's deletion steps: retried until they succeed (the customer is deleted
  // only after this), the attempts and the error shown on the step.
  const activities = proxyActivities<MeteringActivities>({
    taskQueue: options.taskQueue,
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const closedBefore = (Math.floor(Date.now() / METERING_WINDOW_MS) + 1) * METERING_WINDOW_MS;
  const scanFrom = closedBefore - policy.correctionWindowMs - METERING_VERIFY_BEYOND_CORRECTION_MS;
  const window = { closedBefore: new Date(closedBefore).toISOString(), scanFrom: new Date(scanFrom).toISOString() };
  const clock = () => ({
    now: new Date(Date.now()).toISOString(),
    acceptAfter: new Date(Date.now() - policy.correctionWindowMs).toISOString(),
    resendAfter: new Date(Date.now() - policy.resendHorizonMs).toISOString(),
  });

  const report = await activities.reportTenantWindows({ ...tenant, ...window, ...clock() });
  const result = { closedBefore: window.closedBefore, reported: report.reported, corrections: 0 };
  let flagged = report.flagged;
  let matched = 0;
  let rounds = 0;
  for (let round = 1; round <= policy.checkRounds; round += 1) {
    // Nothing sent yet to settle: the first read-back runs at once (and says what is pending).
    if (round > 1 || report.reported > 0) await sleep(policy.settlingDelayMs);
    const checked = await activities.checkTenantWindows({
      ...tenant,
      ...window,
      ...clock(),
      settledBefore: new Date(Date.now() - policy.settlingDelayMs).toISOString(),
      round,
    });
    rounds = round;
    result.corrections += checked.corrections;
    flagged = checked.flagged;
    matched = checked.matched;
    if (checked.pending === 0) break;
  }
  const { signed } = await activities.signReconciliationRecords({
    ...tenant,
    signedAt: new Date(Date.now()).toISOString(),
  });
  return { ...result, flagged, matched, rounds, signed };
}
