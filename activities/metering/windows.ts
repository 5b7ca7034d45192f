// Reporting a tenant's closed usage windows to the billing provider and reading back what it
// counted (reconcileMetering; docs/decisions/0027).
//
// The rule that keeps every window reported once: a meter event is first written to
// metering_reports as `pending` (with the window's new `expected` total, in one transaction),
// and only then sent, under an identifier derived from (tenant, meter, window, revision); after
// the call the row is marked `reported`. A worker that dies between the call and the mark
// leaves a `pending` row, which the retry sends again with the same identifier: Stripe counts
// an identifier once for about a day, so the repeat is a no-op there. A `pending` row older
// than METERING_RESEND_HORIZON is not sent again (Stripe may have forgotten the identifier):
// it becomes `unconfirmed`, and the read-back decides — if Stripe counted it, nothing is
// missing; if not, the drift is corrected under a new revision. Aggregating never sends what
// a row already covers: what is sent is the usage total minus `expected`.
import type { EntityManager } from 'typeorm';
import { withTenantScope } from '../../db/scope.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import type { CheckWindowsResult, MeteringTenant, ReportWindowsResult } from '../../workflows/metering/contract.ts';
import { METERING_WINDOW_MS, meterEventIdentifier } from '../../workflows/metering/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';
import { tenantStep } from '../shared/kernel.ts';
import { formatMicros, micros } from './decimal.ts';
import { meteringRunTag } from './run-tag.ts';

/** Calls to the provider in flight at once per tenant (windows in parallel; one window's calls in order). */
const SEND_CONCURRENCY = 8;

type ReportKind = 'report' | 'late' | 'correction' | 'replacement' | 'cancel';
type FlagReason = 'too_old' | 'overcounted' | 'refused' | 'no_customer' | 'meter_not_configured';

interface WindowRow {
  meter: string;
  window_start: Date;
  usage_total: string;
  expected: string;
  revisions: number;
  stripe_count: string | null;
  status: string;
  flag: FlagReason | null;
  unbilled: string;
  last_sent_at: Date | null;
}

interface PendingRow {
  meter: string;
  window_start: Date;
  revision: number;
  identifier: string;
  kind: ReportKind;
  value: string;
  cancels: string | null;
  created_at: Date;
}

/** A meter event to write `pending`: the window's revision `revision`. */
interface NewReport {
  window: { meter: string; window_start: Date };
  revision: number;
  kind: ReportKind;
  value: bigint;
  cancels?: string;
}

interface WindowInput extends MeteringTenant {
  /** Windows starting before this are closed. */
  closedBefore: string;
  /** The oldest window looked at (the correction window and the verification margin past it). */
  scanFrom: string;
  /** The workflow's clock. */
  now: string;
  /** Windows starting before this are too old to report or correct. */
  acceptAfter: string;
}

export function createWindowActivities(deps: Pick<ActivityDeps, 'dataSource' | 'billing'>) {
  const { dataSource, billing } = deps;

  async function customerOf(db: EntityManager, tenantId: string): Promise<string | null> {
    const [row] = await db.query<Array<{ billing_customer_id: string | null }>>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    return row?.billing_customer_id ?? null;
  }

  /** Sets a window's flag (audited when it changes); null clears it. */
  async function flagWindow(
    tx: TenantStepTransaction,
    tenantId: string,
    window: WindowRow,
    flag: FlagReason,
    unbilled: bigint,
  ): Promise<boolean> {
    if (window.flag === flag && micros(window.unbilled) === unbilled && window.status === 'flagged') return false;
    await tx.db.query(
      `UPDATE metering_windows SET status = 'flagged', flag = $4, unbilled = $5, updated_at = now()
       WHERE tenant_id = $1 AND meter = $2 AND window_start = $3`,
      [tenantId, window.meter, window.window_start, flag, formatMicros(unbilled)],
    );
    await tx.audit('metering.window_flagged', 'metering_window', windowRef(window), {
      flag,
      unbilled: formatMicros(unbilled),
      before: window.flag,
    });
    return true;
  }

  /**
   * Sends the tenant's pending rows (this attempt's and those a dead worker left within the
   * resend horizon), each window's in revision order (a replacement only after its cancels),
   * and marks each `reported`. Older pending rows become `unconfirmed`. A refusal the provider
   * would repeat (too old, cancellation no longer allowed) marks the row `refused` and flags
   * the window; a transient failure is thrown after what succeeded was marked, and the retry
   * sends the rest with the same identifiers.
   */
  async function sendPending(
    tenantId: string,
    customerId: string,
    resendAfter: Date,
  ): Promise<{ sent: number; refused: number }> {
    const pending = await withTenantScope(dataSource, tenantId, async (db) => {
      await db.query(
        `UPDATE metering_reports SET status = 'unconfirmed'
         WHERE tenant_id = $1 AND status = 'pending' AND created_at < $2`,
        [tenantId, resendAfter],
      );
      return db.query<PendingRow[]>(
        `SELECT meter, window_start, revision, identifier, kind, trim_scale(value)::text AS value, cancels, created_at
         FROM metering_reports WHERE tenant_id = $1 AND status = 'pending'
         ORDER BY meter, window_start, revision`,
        [tenantId],
      );
    });
    const byWindow = new Map<string, PendingRow[]>();
    for (const row of pending) {
      const key = `${row.meter}@${row.window_start.toISOString()}`;
      byWindow.set(key, [...(byWindow.get(key) ?? []), row]);
    }
    let refused = 0;
    const groups = [...byWindow.values()];
    // Rows the provider accepted, marked together at the end (one transaction, not one per
    // row): a worker that dies before the mark leaves them `pending`, which is the same case
    // as dying between one call and its mark — the retry sends the same identifiers again.
    const accepted: PendingRow[] = [];
    // The first transient failure: every lane stops taking windows, and it is thrown at the end.
    const failed: { error: Error | null } = { error: null };
    let next = 0;
    async function lane(): Promise<void> {
      while (failed.error === null && next < groups.length) {
        const rows = groups[next++]!;
        let refusedHere = false;
        for (const row of rows) {
          if (refusedHere) {
            await markRefused(tenantId, row);
            refused += 1;
            continue;
          }
          try {
            if (row.kind === 'cancel')
              await billing
                .cancelMeterEvent({ tenantId, meter: row.meter, identifier: row.cancels! })
                .catch((error: unknown) => {
                  // Cancelling what the provider never received leaves nothing to cancel.
                  if (error instanceof BillingError && error.reason === 'not_found') return;
                  throw error;
                });
            else
              await billing.reportMeterEvent({
                tenantId,
                customerId,
                meter: row.meter,
                identifier: row.identifier,
                value: row.value,
                timestamp: row.window_start,
              });
          } catch (error) {
            if (error instanceof BillingError && !error.retryable) {
              await markRefused(tenantId, row);
              refused += 1;
              refusedHere = true;
              continue;
            }
            failed.error ??=
              error instanceof Error ? error : new Error('Sending meter events failed', { cause: error });
            return;
          }
          accepted.push(row);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, groups.length) }, lane));
    // What succeeded is marked before a transient failure is thrown.
    await markReported(tenantId, accepted);
    if (failed.error) throw failed.error;
    return { sent: accepted.length, refused };
  }

  /** Marks the rows the provider accepted `reported` (a cancel's target `cancelled`), and their windows sent. */
  async function markReported(tenantId: string, rows: PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    const cancelled = rows.filter((row) => row.kind === 'cancel').map((row) => row.cancels!);
    await withTenantScope(dataSource, tenantId, async (db) => {
      await db.query(
        `UPDATE metering_reports SET status = 'reported', reported_at = now()
         WHERE tenant_id = $1 AND identifier = ANY($2::text[]) AND status = 'pending'`,
        [tenantId, rows.map((row) => row.identifier)],
      );
      if (cancelled.length > 0)
        await db.query(
          `UPDATE metering_reports SET cancelled_at = now()
           WHERE tenant_id = $1 AND identifier = ANY($2::text[]) AND cancelled_at IS NULL`,
          [tenantId, cancelled],
        );
      await db.query(
        `UPDATE metering_windows w SET last_sent_at = now(), updated_at = now()
         FROM unnest($2::text[], $3::timestamptz[]) AS sent (meter, window_start)
         WHERE w.tenant_id = $1 AND w.meter = sent.meter AND w.window_start = sent.window_start`,
        [tenantId, rows.map((row) => row.meter), rows.map((row) => row.window_start)],
      );
    });
  }

  /** The provider refused the row for good: not sent; a report's value leaves `expected`; the window is flagged. */
  async function markRefused(tenantId: string, row: PendingRow): Promise<void> {
    await withTenantScope(dataSource, tenantId, async (db) => {
      const updated = await db.query<unknown[]>(
        `UPDATE metering_reports SET status = 'refused' WHERE identifier = $1 AND status = 'pending' RETURNING 1`,
        [row.identifier],
      );
      if (updated.length === 0) return;
      const lowersExpected = row.kind === 'report' || row.kind === 'late';
      await db.query(
        `UPDATE metering_windows
         SET status = 'flagged', flag = 'refused', expected = expected - $4, updated_at = now(),
             unbilled = usage_total - (expected - $4)
         WHERE tenant_id = $1 AND meter = $2 AND window_start = $3`,
        [tenantId, row.meter, row.window_start, lowersExpected ? row.value : '0'],
      );
    });
  }

  /** Adds pending rows, each a window's next revision, in one statement. */
  async function addPending(db: EntityManager, tenantId: string, rows: NewReport[], runId: string): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO metering_reports (tenant_id, meter, window_start, revision, identifier, kind, value, cancels, status, run_id)
       SELECT $1, meter, window_start, revision, identifier, kind, value, cancels, 'pending', $2
       FROM unnest($3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::text[], $8::numeric[], $9::text[])
         AS row (meter, window_start, revision, identifier, kind, value, cancels)`,
      [
        tenantId,
        runId,
        rows.map((row) => row.window.meter),
        rows.map((row) => row.window.window_start),
        rows.map((row) => row.revision),
        rows.map((row) => meterEventIdentifier(tenantId, row.window.meter, row.window.window_start, row.revision)),
        rows.map((row) => row.kind),
        rows.map((row) => formatMicros(row.value)),
        rows.map((row) => row.cancels ?? null),
      ],
    );
  }

  /** Sets each window's revision count in one statement; a report also makes its usage the window's `expected`. */
  async function setRevisions(
    db: EntityManager,
    tenantId: string,
    windows: Array<{ meter: string; window_start: Date; revisions: number }>,
    cause: 'report' | 'correction',
  ): Promise<void> {
    if (windows.length === 0) return;
    await db.query(
      `UPDATE metering_windows w
       SET revisions = r.revisions, status = 'reported', updated_at = now()
           ${cause === 'report' ? ', expected = w.usage_total, flag = NULL, unbilled = 0' : ''}
       FROM unnest($2::text[], $3::timestamptz[], $4::int[]) AS r (meter, window_start, revisions)
       WHERE w.tenant_id = $1 AND w.meter = r.meter AND w.window_start = r.window_start`,
      [tenantId, windows.map((w) => w.meter), windows.map((w) => w.window_start), windows.map((w) => w.revisions)],
    );
  }

  return {
    /**
     * Aggregates the tenant's closed windows from usage_events and reports what the provider has
     * not been told: a window's first report, or a late arrival's difference, each under the
     * window's next revision. Windows too old for the provider, of a tenant without a billing
     * customer, or of a meter the provider does not bill are flagged instead.
     * Retry-safe: the rows are written `pending` before any call and a retry sends the same
     * identifiers again (see the file's comment); the aggregation only sends total − expected.
     */
    async reportTenantWindows(input: WindowInput & { resendAfter: string }): Promise<ReportWindowsResult> {
      const runId = meteringRunTag('report');
      return tenantStep(deps, input, async (step) => {
        const customerId = await step.locked(async (tx) => {
          const { db } = tx;
          const customer = await customerOf(db, input.tenantId);
          // The hour a UTC clock shows (every hour since the epoch): date_bin is about half the
          // cost of date_trunc with a time zone. An index-only scan (usage_events_time_idx).
          await db.query(
            `INSERT INTO metering_windows (tenant_id, meter, window_start, usage_total, usage_events)
             SELECT tenant_id, meter, date_bin('1 hour', occurred_at, 'epoch'::timestamptz), sum(quantity), count(*)
             FROM usage_events
             WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
             GROUP BY 1, 2, 3
             ON CONFLICT (tenant_id, meter, window_start) DO UPDATE
               SET usage_total = EXCLUDED.usage_total, usage_events = EXCLUDED.usage_events, updated_at = now()
               WHERE metering_windows.usage_total <> EXCLUDED.usage_total
                  OR metering_windows.usage_events <> EXCLUDED.usage_events`,
            [input.tenantId, input.scanFrom, input.closedBefore],
          );
          const windows = await db.query<WindowRow[]>(
            `SELECT meter, window_start, usage_total::text AS usage_total, expected::text AS expected, revisions,
                    stripe_count::text AS stripe_count, status, flag, unbilled::text AS unbilled, last_sent_at
             FROM metering_windows
             WHERE tenant_id = $1 AND window_start >= $2 AND window_start < $3 AND usage_total <> expected
             ORDER BY meter, window_start`,
            [input.tenantId, input.scanFrom, input.closedBefore],
          );
          const billed = new Set(billing.billedMeters());
          const acceptAfter = new Date(input.acceptAfter);
          const reports: NewReport[] = [];
          for (const window of windows) {
            const missing = micros(window.usage_total) - micros(window.expected);
            if (window.window_start < acceptAfter) await flagWindow(tx, input.tenantId, window, 'too_old', missing);
            else if (customer === null) await flagWindow(tx, input.tenantId, window, 'no_customer', missing);
            else if (!billed.has(window.meter))
              await flagWindow(tx, input.tenantId, window, 'meter_not_configured', missing);
            else if (missing > 0n)
              reports.push({
                window,
                revision: window.revisions + 1,
                kind: window.revisions === 0 ? 'report' : 'late',
                value: missing,
              });
          }
          // Every window's report in two statements, whatever the number of windows.
          await addPending(db, input.tenantId, reports, runId);
          await setRevisions(
            db,
            input.tenantId,
            reports.map(({ window, revision }) => ({ ...window, revisions: revision })),
            'report',
          );
          return customer;
        });
        if (customerId !== null) await sendPending(input.tenantId, customerId, new Date(input.resendAfter));
        return withTenantScope(dataSource, input.tenantId, async (db) => {
          const [counts] = await db.query<Array<{ reported: number; flagged: number }>>(
            `SELECT (SELECT count(*)::int FROM metering_reports
                     WHERE tenant_id = $1 AND run_id = $2 AND status = 'reported') AS reported,
                    (SELECT count(*)::int FROM metering_windows
                     WHERE tenant_id = $1 AND status = 'flagged' AND window_start >= $3 AND window_start < $4) AS flagged`,
            [input.tenantId, runId, input.scanFrom, input.closedBefore],
          );
          return { reported: counts!.reported, flagged: counts!.flagged };
        });
      });
    },

    /**
     * Reads back what the provider counted for every window of the tenant that was ever
     * reported (and settled: its last send before `settledBefore`), and corrects the drift:
     * less than `expected` → one more event with the difference; more → every live event of
     * the window cancelled, then one replacement with `expected` (Stripe corrects only by
     * cancellation). A window too old for corrections is flagged instead.
     * Retry-safe: corrections are written `pending` before they are sent, like reports, and
     * the read-back runs again against what the provider holds after the first attempt.
     */
    async checkTenantWindows(
      input: WindowInput & { settledBefore: string; resendAfter: string; round: number },
    ): Promise<CheckWindowsResult> {
      const runId = meteringRunTag(`check-${input.round}`);
      return tenantStep(deps, input, async (step) => {
        const customerId = await withTenantScope(dataSource, input.tenantId, (db) => customerOf(db, input.tenantId));
        const empty = { checked: 0, matched: 0, corrections: 0, flagged: 0, pending: 0 };
        if (customerId === null) return empty;
        // Rows a dead worker left pending are sent first, so the read-back sees them.
        await sendPending(input.tenantId, customerId, new Date(input.resendAfter));
        const windows = await withTenantScope(dataSource, input.tenantId, (db) =>
          db.query<WindowRow[]>(
            `SELECT meter, window_start, usage_total::text AS usage_total, expected::text AS expected, revisions,
                    stripe_count::text AS stripe_count, status, flag, unbilled::text AS unbilled, last_sent_at
             FROM metering_windows
             WHERE tenant_id = $1 AND window_start >= $2 AND window_start < $3 AND revisions > 0
             ORDER BY meter, window_start`,
            [input.tenantId, input.scanFrom, input.closedBefore],
          ),
        );
        const billed = new Set(billing.billedMeters());
        const settledBefore = new Date(input.settledBefore);
        const counted = new Map<string, bigint>();
        const meters = [...new Set(windows.map((w) => w.meter))].filter((meter) => billed.has(meter));
        for (const meter of meters) {
          const own = windows.filter((w) => w.meter === meter);
          const start = own[0]!.window_start;
          const end = new Date(own.at(-1)!.window_start.getTime() + METERING_WINDOW_MS);
          for (const summary of await billing.meterEventSummaries({
            tenantId: input.tenantId,
            customerId,
            meter,
            start,
            end,
          }))
            counted.set(`${meter}@${summary.start.toISOString()}`, BigInt(Math.round(summary.value * 1e6)));
        }
        const acceptAfter = new Date(input.acceptAfter);
        await step.locked(async (tx) => {
          const { db } = tx;
          // Windows this round already corrected wait for the next round's read-back (a retry
          // of this attempt must not read them again before Stripe settled the correction).
          const corrected = new Set(
            (
              await db.query<Array<{ meter: string; window_start: Date }>>(
                `SELECT DISTINCT meter, window_start FROM metering_reports WHERE tenant_id = $1 AND run_id = $2`,
                [input.tenantId, runId],
              )
            ).map(windowRef),
          );
          const settled = windows
            .filter((window) => billed.has(window.meter) && !corrected.has(windowRef(window)))
            .filter((window) => !(window.last_sent_at && window.last_sent_at > settledBefore)) // not settled yet
            .map((window) => ({
              window,
              stripe: counted.get(`${window.meter}@${window.window_start.toISOString()}`) ?? 0n,
              expected: micros(window.expected),
              usage: micros(window.usage_total),
            }));
          // What the provider counted, for every settled window in one statement.
          await db.query(
            `UPDATE metering_windows w SET stripe_count = r.stripe, checked_at = now(), updated_at = now()
             FROM unnest($2::text[], $3::timestamptz[], $4::numeric[]) AS r (meter, window_start, stripe)
             WHERE w.tenant_id = $1 AND w.meter = r.meter AND w.window_start = r.window_start
               AND (w.stripe_count IS DISTINCT FROM r.stripe OR w.checked_at IS NULL)`,
            [
              input.tenantId,
              settled.map(({ window }) => window.meter),
              settled.map(({ window }) => window.window_start),
              settled.map(({ stripe }) => formatMicros(stripe)),
            ],
          );
          const matched = settled.filter(
            ({ window, stripe, expected, usage }) =>
              stripe === expected && usage === expected && (window.status !== 'matched' || window.flag !== null),
          );
          if (matched.length > 0)
            await db.query(
              `UPDATE metering_windows w SET status = 'matched', flag = NULL, unbilled = 0, updated_at = now()
               FROM unnest($2::text[], $3::timestamptz[]) AS r (meter, window_start)
               WHERE w.tenant_id = $1 AND w.meter = r.meter AND w.window_start = r.window_start`,
              [
                input.tenantId,
                matched.map(({ window }) => window.meter),
                matched.map(({ window }) => window.window_start),
              ],
            );
          // Drift: flagged when too old, else corrected (rare; one window at a time).
          const corrections: NewReport[] = [];
          const revised: Array<{ meter: string; window_start: Date; revisions: number }> = [];
          for (const { window, stripe, expected, usage } of settled) {
            if (stripe === expected) continue;
            if (window.window_start < acceptAfter) {
              await flagWindow(
                tx,
                input.tenantId,
                window,
                stripe < expected ? 'too_old' : 'overcounted',
                usage - stripe,
              );
              continue;
            }
            let revision = window.revisions;
            if (stripe < expected) {
              revision += 1;
              corrections.push({ window, revision, kind: 'correction', value: expected - stripe });
            } else {
              const live = await db.query<Array<{ identifier: string; value: string }>>(
                `SELECT identifier, value::text AS value FROM metering_reports
                 WHERE tenant_id = $1 AND meter = $2 AND window_start = $3 AND kind <> 'cancel'
                   AND status IN ('reported', 'unconfirmed') AND cancelled_at IS NULL
                 ORDER BY revision`,
                [input.tenantId, window.meter, window.window_start],
              );
              for (const row of live) {
                revision += 1;
                corrections.push({
                  window,
                  revision,
                  kind: 'cancel',
                  value: -micros(row.value),
                  cancels: row.identifier,
                });
              }
              if (expected > 0n) {
                revision += 1;
                corrections.push({ window, revision, kind: 'replacement', value: expected });
              }
            }
            revised.push({ meter: window.meter, window_start: window.window_start, revisions: revision });
          }
          await addPending(db, input.tenantId, corrections, runId);
          await setRevisions(db, input.tenantId, revised, 'correction');
        });
        await sendPending(input.tenantId, customerId, new Date(input.resendAfter));
        return withTenantScope(dataSource, input.tenantId, async (db) => {
          const [counts] = await db.query<Array<Omit<CheckWindowsResult, 'checked'> & { checked: number }>>(
            `SELECT count(*) FILTER (WHERE w.revisions > 0)::int AS checked,
                    count(*) FILTER (WHERE w.status = 'matched')::int AS matched,
                    count(*) FILTER (WHERE w.status = 'flagged')::int AS flagged,
                    (SELECT count(*)::int FROM metering_reports r
                     WHERE r.tenant_id = $1 AND r.run_id = $4 AND r.status = 'reported') AS corrections,
                    (SELECT count(DISTINCT (r.meter, r.window_start))::int FROM metering_reports r
                     WHERE r.tenant_id = $1 AND r.run_id = $4)
                    + count(*) FILTER (WHERE w.last_sent_at > $5 AND NOT EXISTS (
                        SELECT 1 FROM metering_reports r
                        WHERE r.tenant_id = w.tenant_id AND r.meter = w.meter AND r.window_start = w.window_start
                          AND r.run_id = $4))::int AS pending
             FROM metering_windows w
             WHERE w.tenant_id = $1 AND w.window_start >= $2 AND w.window_start < $3`,
            [input.tenantId, input.scanFrom, input.closedBefore, runId, settledBefore],
          );
          return counts!;
        });
      });
    },
  };
}

/** How a window is named in audit entries and records: `<meter>@<ISO start>`. */
export function windowRef(window: { meter: string; window_start: Date }): string {
  return `${window.meter}@${window.window_start.toISOString()}`;
}
