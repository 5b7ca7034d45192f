// The contract of the metering family.
//
// reconcileMetering (`metering-reconcile/<deployment>-<due time>`, started by the hourly
// Schedule `metering-reconcile/<deployment>`) is a platform-wide operation: for every tenant
// with usage it aggregates the closed hourly windows of usage_events per meter, reports what
// Stripe has not been told yet as meter events (identifiers derived from tenant, meter, window
// and revision; each recorded `pending` before the call), waits a settling delay, reads back
// what Stripe counted, corrects drift while Stripe still accepts it (flagging what is too old),
// and signs a reconciliation record per tenant and period (docs/decisions/0027).
//
// Only ids and counts travel here: the windows themselves stay in PostgreSQL (metering_windows,
// metering_reports), so a run over a million events keeps a small history.
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const RECONCILE_METERING_KIND = 'metering-reconcile' satisfies OperationKind;

/** The Schedule's id, and the prefix of its runs' ids: one per deployment (its task queue prefix). */
export function meteringScheduleId(deployment: string): string {
  return OPERATION_CATALOGUE[RECONCILE_METERING_KIND].workflowId({ deployment });
}

/**
 * How many tenants one activity call of reconcileMetering works on (one after the other, each in
 * its own transactions): a step over 50 tenants is two calls, `tenantConcurrency` at a time.
 */
export const METERING_TENANT_BATCH = 25;

/** Marks runs that hand the activities batches of tenants (histories from before call one tenant per activity). */
export const METERING_BATCHED_TENANTS_PATCH = 'metering-batched-tenants';

/** Usage is reconciled per hour: Stripe's finest summary grouping. */
export const METERING_WINDOW_MS = 3_600_000;

/**
 * How long past the correction window a window is still read back: drift found there is
 * flagged for a person (a credit note, an invoice line) instead of going unnoticed.
 */
export const METERING_VERIFY_BEYOND_CORRECTION_MS = 14 * 86_400_000;

/** The JWS `typ` of a signed reconciliation record (named in the wire contract: the portal checks it). */
export { RECONCILIATION_JWS_TYPE } from '../../contracts/metering.ts';

export interface MeteringPolicy {
  /** METERING_SETTLING_DELAY: how long after reporting Stripe's count is read back. */
  settlingDelayMs: number;
  /** METERING_CORRECTION_WINDOW: how old a window may be and still be reported or corrected (Stripe: 35 days). */
  correctionWindowMs: number;
  /**
   * METERING_RESEND_HORIZON: a report left `pending` by a dead worker is sent again with the same
   * identifier only while Stripe still deduplicates it; older ones are settled by the read-back.
   */
  resendHorizonMs: number;
  /** Read-back rounds per run: a correction is itself read back after another settling delay. */
  checkRounds: number;
  /** Activity calls at once per step: batches of METERING_TENANT_BATCH tenants (one tenant each in runs from before the batches). */
  tenantConcurrency: number;
}

export interface ReconcileMeteringInput {
  policy: MeteringPolicy;
  timings: ActivityTimings;
}

export interface ReconcileMeteringResult {
  /** Windows that start before this were closed and reconciled. */
  closedBefore: string;
  tenants: number;
  /** Meter events sent: first reports and late arrivals. */
  reported: number;
  /** Corrections sent after a read-back: events, cancellations and replacements. */
  corrections: number;
  /** Windows a person must look at (too old, no customer, meter not configured, cancellation refused). */
  flagged: number;
  /** Windows whose read-back matched. */
  matched: number;
  /** Reconciliation records (re)signed. */
  signed: number;
  progress: OperationProgress;
}

export const RECONCILE_METERING_STEPS = [
  { name: 'plan', title: 'Find the tenants with usage in closed windows' },
  { name: 'report', title: 'Report each closed window to Stripe (recorded before each call)' },
  { name: 'settle', title: 'Wait for Stripe to count what was reported' },
  { name: 'check', title: "Read back Stripe's count and correct drift while Stripe accepts it" },
  { name: 'sign', title: 'Sign a reconciliation record per tenant and period' },
] as const;
export type ReconcileMeteringStep = (typeof RECONCILE_METERING_STEPS)[number]['name'];

/** A tenant the run works on. */
export interface MeteringTenant {
  tenantId: string;
  slug: string;
}

export interface ReportWindowsResult {
  /** Meter events this run sent (first reports and late arrivals). */
  reported: number;
  /** The tenant's windows flagged for a person. */
  flagged: number;
}

export interface CheckWindowsResult {
  checked: number;
  matched: number;
  corrections: number;
  flagged: number;
  /** Windows a correction was sent for: read back again after the next settling delay. */
  pending: number;
}

/** The Stripe identifier of one report: readable, and the same for the same (tenant, meter, window, revision). */
export function meterEventIdentifier(tenantId: string, meter: string, windowStart: Date, revision: number): string {
  return `atr:${tenantId}:${meter}:${Math.floor(windowStart.getTime() / 1000)}:${revision}`;
}
