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
//
// Every step takes a batch of tenants (or one, for the single-tenant activities of older runs
// and of offboarding) and does each of its database steps in one statement for all of them
// (docs/decisions/0040): a run over 50 tenants writes a few dozen statements, not a few thousand.
import type { EntityManager } from 'typeorm';
import { withTenantScope } from '../../db/scope.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import type { CheckWindowsResult, MeteringTenant, ReportWindowsResult } from '../../workflows/metering/contract.ts';
import { METERING_WINDOW_MS, meterEventIdentifier } from '../../workflows/metering/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantsStep, TenantsStepTransaction } from '../shared/kernel.ts';
import { tenantsStep } from '../shared/kernel.ts';
import { formatMicros, micros } from './decimal.ts';
import { meteringRunTag } from './run-tag.ts';

/** Calls to the provider in flight at once per activity (windows in parallel; one window's calls in order). */
const SEND_CONCURRENCY = 16;

type ReportKind = 'report' | 'late' | 'correction' | 'replacement' | 'cancel';
type FlagReason = 'too_old' | 'overcounted' | 'refused' | 'no_customer' | 'meter_not_configured';

interface WindowKey {
  tenant_id: string;
  meter: string;
  window_start: Date;
}

interface WindowRow extends WindowKey {
  usage_total: string;
  expected: string;
  revisions: number;
  stripe_count: string | null;
  status: string;
  flag: FlagReason | null;
  unbilled: string;
  last_sent_at: Date | null;
}

interface PendingRow extends WindowKey {
  revision: number;
  identifier: string;
  kind: ReportKind;
  value: string;
  cancels: string | null;
  created_at: Date;
}

/** A meter event to write `pending`: the window's revision `revision`. */
interface NewReport {
  window: WindowKey;
  revision: number;
  kind: ReportKind;
  value: bigint;
  cancels?: string;
}

/** A window to flag for a person, with what is left unbilled. */
interface NewFlag {
  window: WindowRow;
  flag: FlagReason;
  unbilled: bigint;
}

/** Each tenant's billing customer (absent: none yet). */
type Customers = Map<string, string>;

interface WindowInput {
  /** Windows starting before this are closed. */
  closedBefore: string;
  /** The oldest window looked at (the correction window and the verification margin past it). */
  scanFrom: string;
  /** The workflow's clock. */
  now: string;
  /** Windows starting before this are too old to report or correct. */
  acceptAfter: string;
}

type ReportInput = WindowInput & { resendAfter: string };
type CheckInput = WindowInput & { settledBefore: string; resendAfter: string; round: number };

/** The columns of a window key, as arrays for `unnest` ($n::uuid[], $n+1::text[], $n+2::timestamptz[]). */
function keyColumns(windows: readonly WindowKey[]): [string[], string[], Date[]] {
  return [windows.map((w) => w.tenant_id), windows.map((w) => w.meter), windows.map((w) => w.window_start)];
}

function keyOf(tenantId: string, meter: string, windowStart: Date): string {
  return `${tenantId}|${meter}|${windowStart.toISOString()}`;
}

/** Runs `work` for every item, at most `size` at once, stopping at the first failure (thrown once all lanes stopped). */
async function inLanes<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  const failed: { error: Error | null } = { error: null };
  let next = 0;
  async function lane(): Promise<void> {
    while (failed.error === null && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed.error ??= error instanceof Error ? error : new Error('A lane failed', { cause: error });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
  if (failed.error !== null) throw failed.error;
}

export function createWindowActivities(deps: Pick<ActivityDeps, 'dataSource' | 'billing'>) {
  const { dataSource, billing } = deps;

  async function customersOf(db: EntityManager, tenantIds: readonly string[]): Promise<Customers> {
    const rows = await db.query<Array<{ tenant_id: string; billing_customer_id: string | null }>>(
      `SELECT tenant_id, billing_customer_id FROM tenant_resources
       WHERE tenant_id = ANY($1::uuid[]) AND billing_customer_id IS NOT NULL`,
      [tenantIds],
    );
    return new Map(rows.map((row) => [row.tenant_id, row.billing_customer_id!]));
  }

  /** Flags windows for a person (each audited when its flag changes), in two statements. */
  async function flagWindows(tx: TenantsStepTransaction, flags: readonly NewFlag[]): Promise<void> {
    const changed = flags.filter(
      ({ window, flag, unbilled }) =>
        !(window.flag === flag && micros(window.unbilled) === unbilled && window.status === 'flagged'),
    );
    if (changed.length === 0) return;
    const windows = changed.map(({ window }) => window);
    await tx.db.query(
      `UPDATE metering_windows w SET status = 'flagged', flag = f.flag, unbilled = f.unbilled, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::numeric[])
         AS f (tenant_id, meter, window_start, flag, unbilled)
       WHERE w.tenant_id = f.tenant_id AND w.meter = f.meter AND w.window_start = f.window_start`,
      [...keyColumns(windows), changed.map(({ flag }) => flag), changed.map(({ unbilled }) => formatMicros(unbilled))],
    );
    await tx.audit(
      changed.map(({ window, flag, unbilled }) => ({
        tenantId: window.tenant_id,
        action: 'metering.window_flagged',
        targetType: 'metering_window',
        targetId: windowRef(window),
        after: { flag, unbilled: formatMicros(unbilled), before: window.flag },
      })),
    );
  }

  /**
   * Sends the tenants' pending rows (this attempt's and those a dead worker left within the
   * resend horizon), each window's in revision order (a replacement only after its cancels),
   * and marks each `reported`. Older pending rows become `unconfirmed`. A refusal the provider
   * would repeat (too old, cancellation no longer allowed) marks the row `refused` and flags
   * the window; a transient failure is thrown after what succeeded was marked, and the retry
   * sends the rest with the same identifiers. Only tenants with a billing customer.
   */
  async function sendPending(step: TenantsStep, customers: Customers, resendAfter: Date): Promise<void> {
    const tenantIds = step.tenantIds.filter((id) => customers.has(id));
    if (tenantIds.length === 0) return;
    const pending = await step.scoped(async (db) => {
      await db.query(
        `UPDATE metering_reports SET status = 'unconfirmed'
         WHERE tenant_id = ANY($1::uuid[]) AND status = 'pending' AND created_at < $2`,
        [tenantIds, resendAfter],
      );
      return db.query<PendingRow[]>(
        `SELECT tenant_id, meter, window_start, revision, identifier, kind, trim_scale(value)::text AS value, cancels,
                created_at
         FROM metering_reports WHERE tenant_id = ANY($1::uuid[]) AND status = 'pending'
         ORDER BY tenant_id, meter, window_start, revision`,
        [tenantIds],
      );
    });
    if (pending.length === 0) return;
    const byWindow = new Map<string, PendingRow[]>();
    for (const row of pending) {
      const key = keyOf(row.tenant_id, row.meter, row.window_start);
      const rows = byWindow.get(key);
      if (rows) rows.push(row);
      else byWindow.set(key, [row]);
    }
    // Rows the provider accepted, marked together at the end (one transaction, not one per
    // row): a worker that dies before the mark leaves them `pending`, which is the same case
    // as dying between one call and its mark — the retry sends the same identifiers again.
    const accepted: PendingRow[] = [];
    let failure: Error | null = null;
    try {
      await inLanes([...byWindow.values()], SEND_CONCURRENCY, async (rows) => {
        let refusedHere = false;
        for (const row of rows) {
          if (refusedHere) {
            await markRefused(row);
            continue;
          }
          try {
            await send(row, customers.get(row.tenant_id)!);
          } catch (error) {
            if (!(error instanceof BillingError && !error.retryable)) throw error;
            await markRefused(row);
            refusedHere = true;
            continue;
          }
          accepted.push(row);
        }
      });
    } catch (error) {
      failure = error as Error; // inLanes throws Errors only
    }
    // What succeeded is marked before a transient failure is thrown.
    await markReported(step, accepted);
    if (failure !== null) throw failure;
  }

  async function send(row: PendingRow, customerId: string): Promise<void> {
    const tenantId = row.tenant_id;
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
  }

  /** Marks the rows the provider accepted `reported` (a cancel's target `cancelled`), and their windows sent. */
  async function markReported(step: TenantsStep, rows: PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    const tenantIds = [...new Set(rows.map((row) => row.tenant_id))];
    const cancelled = rows.filter((row) => row.kind === 'cancel').map((row) => row.cancels!);
    await step.scoped(async (db) => {
      await db.query(
        `UPDATE metering_reports SET status = 'reported', reported_at = now()
         WHERE tenant_id = ANY($1::uuid[]) AND identifier = ANY($2::text[]) AND status = 'pending'`,
        [tenantIds, rows.map((row) => row.identifier)],
      );
      if (cancelled.length > 0)
        await db.query(
          `UPDATE metering_reports SET cancelled_at = now()
           WHERE tenant_id = ANY($1::uuid[]) AND identifier = ANY($2::text[]) AND cancelled_at IS NULL`,
          [tenantIds, cancelled],
        );
      await db.query(
        `UPDATE metering_windows w SET last_sent_at = now(), updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS sent (tenant_id, meter, window_start)
         WHERE w.tenant_id = sent.tenant_id AND w.meter = sent.meter AND w.window_start = sent.window_start`,
        keyColumns(rows),
      );
    });
  }

  /** The provider refused the row for good: not sent; a report's value leaves `expected`; the window is flagged. */
  async function markRefused(row: PendingRow): Promise<void> {
    await withTenantScope(dataSource, row.tenant_id, async (db) => {
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
        [row.tenant_id, row.meter, row.window_start, lowersExpected ? row.value : '0'],
      );
    });
  }

  /** Adds pending rows, each a window's next revision, in one statement. */
  async function addPending(db: EntityManager, rows: NewReport[], runId: string): Promise<void> {
    if (rows.length === 0) return;
    await db.query(
      `INSERT INTO metering_reports (tenant_id, meter, window_start, revision, identifier, kind, value, cancels, status, run_id)
       SELECT tenant_id, meter, window_start, revision, identifier, kind, value, cancels, 'pending', $1
       FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::text[], $8::numeric[], $9::text[])
         AS row (tenant_id, meter, window_start, revision, identifier, kind, value, cancels)`,
      [
        runId,
        ...keyColumns(rows.map((row) => row.window)),
        rows.map((row) => row.revision),
        rows.map((row) =>
          meterEventIdentifier(row.window.tenant_id, row.window.meter, row.window.window_start, row.revision),
        ),
        rows.map((row) => row.kind),
        rows.map((row) => formatMicros(row.value)),
        rows.map((row) => row.cancels ?? null),
      ],
    );
  }

  /** Sets each window's revision count in one statement; a report also makes its usage the window's `expected`. */
  async function setRevisions(
    db: EntityManager,
    windows: Array<WindowKey & { revisions: number }>,
    cause: 'report' | 'correction',
  ): Promise<void> {
    if (windows.length === 0) return;
    await db.query(
      `UPDATE metering_windows w
       SET revisions = r.revisions, status = 'reported', updated_at = now()
           ${cause === 'report' ? ', expected = w.usage_total, flag = NULL, unbilled = 0' : ''}
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[]) AS r (tenant_id, meter, window_start, revisions)
       WHERE w.tenant_id = r.tenant_id AND w.meter = r.meter AND w.window_start = r.window_start`,
      [...keyColumns(windows), windows.map((w) => w.revisions)],
    );
  }

  /**
   * Aggregates the tenants' closed windows from usage_events and reports what the provider has
   * not been told: a window's first report, or a late arrival's difference, each under the
   * window's next revision. Windows too old for the provider, of a tenant without a billing
   * customer, or of a meter the provider does not bill are flagged instead.
   * Retry-safe: the rows are written `pending` before any call and a retry sends the same
   * identifiers again (see the file's comment); the aggregation only sends total − expected.
   */
  async function reportWindows(
    tenants: readonly MeteringTenant[],
    input: ReportInput,
  ): Promise<Array<ReportWindowsResult & { tenantId: string }>> {
    const runId = meteringRunTag('report');
    const tenantIds = tenants.map((tenant) => tenant.tenantId);
    return tenantsStep(deps, { tenantIds }, async (step) => {
      const customers = await step.locked(async (tx) => {
        const { db } = tx;
        const customers = await customersOf(db, tenantIds);
        // The hour a UTC clock shows (every hour since the epoch): date_bin is about half the
        // cost of date_trunc with a time zone. An index-only scan (usage_events_time_idx).
        await db.query(
          `INSERT INTO metering_windows (tenant_id, meter, window_start, usage_total, usage_events)
           SELECT tenant_id, meter, date_bin('1 hour', occurred_at, 'epoch'::timestamptz), sum(quantity), count(*)
           FROM usage_events
           WHERE tenant_id = ANY($1::uuid[]) AND occurred_at >= $2 AND occurred_at < $3
           GROUP BY 1, 2, 3
           ON CONFLICT (tenant_id, meter, window_start) DO UPDATE
             SET usage_total = EXCLUDED.usage_total, usage_events = EXCLUDED.usage_events, updated_at = now()
             WHERE metering_windows.usage_total <> EXCLUDED.usage_total
                OR metering_windows.usage_events <> EXCLUDED.usage_events`,
          [tenantIds, input.scanFrom, input.closedBefore],
        );
        const windows = await db.query<WindowRow[]>(
          `SELECT tenant_id, meter, window_start, usage_total::text AS usage_total, expected::text AS expected, revisions,
                  stripe_count::text AS stripe_count, status, flag, unbilled::text AS unbilled, last_sent_at
           FROM metering_windows
           WHERE tenant_id = ANY($1::uuid[]) AND window_start >= $2 AND window_start < $3 AND usage_total <> expected
           ORDER BY tenant_id, meter, window_start`,
          [tenantIds, input.scanFrom, input.closedBefore],
        );
        const billed = new Set(billing.billedMeters());
        const acceptAfter = new Date(input.acceptAfter);
        const reports: NewReport[] = [];
        const flags: NewFlag[] = [];
        for (const window of windows) {
          const missing = micros(window.usage_total) - micros(window.expected);
          if (window.window_start < acceptAfter) flags.push({ window, flag: 'too_old', unbilled: missing });
          else if (!customers.has(window.tenant_id)) flags.push({ window, flag: 'no_customer', unbilled: missing });
          else if (!billed.has(window.meter)) flags.push({ window, flag: 'meter_not_configured', unbilled: missing });
          else if (missing > 0n)
            reports.push({
              window,
              revision: window.revisions + 1,
              kind: window.revisions === 0 ? 'report' : 'late',
              value: missing,
            });
        }
        await flagWindows(tx, flags);
        // Every window's report in two statements, whatever the number of windows and tenants.
        await addPending(db, reports, runId);
        await setRevisions(
          db,
          reports.map(({ window, revision }) => ({ ...window, revisions: revision })),
          'report',
        );
        return customers;
      });
      await sendPending(step, customers, new Date(input.resendAfter));
      const counts = await step.scoped((db) =>
        db.query<Array<ReportWindowsResult & { tenantId: string }>>(
          `SELECT t.id AS "tenantId",
                  (SELECT count(*)::int FROM metering_reports r
                   WHERE r.tenant_id = t.id AND r.run_id = $2 AND r.status = 'reported') AS reported,
                  (SELECT count(*)::int FROM metering_windows w
                   WHERE w.tenant_id = t.id AND w.status = 'flagged' AND w.window_start >= $3 AND w.window_start < $4)
                    AS flagged
           FROM unnest($1::uuid[]) AS t (id)`,
          [tenantIds, runId, input.scanFrom, input.closedBefore],
        ),
      );
      return inTenantOrder(tenantIds, counts, (tenantId) => ({ tenantId, reported: 0, flagged: 0 }));
    });
  }

  /**
   * Reads back what the provider counted for every window of the tenants that was ever
   * reported (and settled: its last send before `settledBefore`), and corrects the drift:
   * less than `expected` → one more event with the difference; more → every live event of
   * the window cancelled, then one replacement with `expected` (Stripe corrects only by
   * cancellation). A window too old for corrections is flagged instead.
   * Retry-safe: corrections are written `pending` before they are sent, like reports, and
   * the read-back runs again against what the provider holds after the first attempt.
   */
  async function checkWindows(
    tenants: readonly MeteringTenant[],
    input: CheckInput,
  ): Promise<Array<CheckWindowsResult & { tenantId: string }>> {
    const runId = meteringRunTag(`check-${input.round}`);
    const allIds = tenants.map((tenant) => tenant.tenantId);
    const empty = (tenantId: string) => ({ tenantId, checked: 0, matched: 0, corrections: 0, flagged: 0, pending: 0 });
    return tenantsStep(deps, { tenantIds: allIds }, async (step) => {
      const customers = await step.scoped((db) => customersOf(db, allIds));
      // A tenant without a billing customer has nothing to read back.
      const tenantIds = allIds.filter((id) => customers.has(id));
      if (tenantIds.length === 0) return allIds.map(empty);
      // Rows a dead worker left pending are sent first, so the read-back sees them.
      await sendPending(step, customers, new Date(input.resendAfter));
      const windows = await step.scoped((db) =>
        db.query<WindowRow[]>(
          `SELECT tenant_id, meter, window_start, usage_total::text AS usage_total, expected::text AS expected, revisions,
                  stripe_count::text AS stripe_count, status, flag, unbilled::text AS unbilled, last_sent_at
           FROM metering_windows
           WHERE tenant_id = ANY($1::uuid[]) AND window_start >= $2 AND window_start < $3 AND revisions > 0
           ORDER BY tenant_id, meter, window_start`,
          [tenantIds, input.scanFrom, input.closedBefore],
        ),
      );
      const billed = new Set(billing.billedMeters());
      const settledBefore = new Date(input.settledBefore);
      // One read of the provider's hourly sums per tenant and meter, spanning its windows.
      const spans = new Map<string, { tenantId: string; meter: string; start: Date; end: Date }>();
      for (const window of windows) {
        if (!billed.has(window.meter)) continue;
        const key = `${window.tenant_id}|${window.meter}`;
        const end = new Date(window.window_start.getTime() + METERING_WINDOW_MS);
        const span = spans.get(key);
        if (span) span.end = end;
        else spans.set(key, { tenantId: window.tenant_id, meter: window.meter, start: window.window_start, end });
      }
      const counted = new Map<string, bigint>();
      await inLanes([...spans.values()], SEND_CONCURRENCY, async (span) => {
        const summaries = await billing.meterEventSummaries({ ...span, customerId: customers.get(span.tenantId)! });
        for (const summary of summaries)
          counted.set(keyOf(span.tenantId, span.meter, summary.start), BigInt(Math.round(summary.value * 1e6)));
      });
      const acceptAfter = new Date(input.acceptAfter);
      await step.locked(async (tx) => {
        const { db } = tx;
        // Windows this round already corrected wait for the next round's read-back (a retry
        // of this attempt must not read them again before Stripe settled the correction).
        const corrected = new Set(
          (
            await db.query<WindowKey[]>(
              `SELECT DISTINCT tenant_id, meter, window_start FROM metering_reports
               WHERE tenant_id = ANY($1::uuid[]) AND run_id = $2`,
              [tenantIds, runId],
            )
          ).map((w) => keyOf(w.tenant_id, w.meter, w.window_start)),
        );
        const settled = windows
          .filter((window) => billed.has(window.meter))
          .filter((window) => !corrected.has(keyOf(window.tenant_id, window.meter, window.window_start)))
          .filter((window) => !(window.last_sent_at && window.last_sent_at > settledBefore)) // not settled yet
          .map((window) => ({
            window,
            stripe: counted.get(keyOf(window.tenant_id, window.meter, window.window_start)) ?? 0n,
            expected: micros(window.expected),
            usage: micros(window.usage_total),
          }));
        // What the provider counted, for every settled window in one statement.
        if (settled.length > 0)
          await db.query(
            `UPDATE metering_windows w SET stripe_count = r.stripe, checked_at = now(), updated_at = now()
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::numeric[]) AS r (tenant_id, meter, window_start, stripe)
             WHERE w.tenant_id = r.tenant_id AND w.meter = r.meter AND w.window_start = r.window_start
               AND (w.stripe_count IS DISTINCT FROM r.stripe OR w.checked_at IS NULL)`,
            [...keyColumns(settled.map(({ window }) => window)), settled.map(({ stripe }) => formatMicros(stripe))],
          );
        const matched = settled.filter(
          ({ window, stripe, expected, usage }) =>
            stripe === expected && usage === expected && (window.status !== 'matched' || window.flag !== null),
        );
        if (matched.length > 0)
          await db.query(
            `UPDATE metering_windows w SET status = 'matched', flag = NULL, unbilled = 0, updated_at = now()
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r (tenant_id, meter, window_start)
             WHERE w.tenant_id = r.tenant_id AND w.meter = r.meter AND w.window_start = r.window_start`,
            keyColumns(matched.map(({ window }) => window)),
          );
        // Drift: flagged when too old, else corrected (rare; one window at a time).
        const corrections: NewReport[] = [];
        const revised: Array<WindowKey & { revisions: number }> = [];
        const flags: NewFlag[] = [];
        for (const { window, stripe, expected, usage } of settled) {
          if (stripe === expected) continue;
          if (window.window_start < acceptAfter) {
            flags.push({ window, flag: stripe < expected ? 'too_old' : 'overcounted', unbilled: usage - stripe });
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
              [window.tenant_id, window.meter, window.window_start],
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
          revised.push({
            tenant_id: window.tenant_id,
            meter: window.meter,
            window_start: window.window_start,
            revisions: revision,
          });
        }
        await flagWindows(tx, flags);
        await addPending(db, corrections, runId);
        await setRevisions(db, revised, 'correction');
      });
      await sendPending(step, customers, new Date(input.resendAfter));
      const counts = await step.scoped((db) =>
        db.query<Array<CheckWindowsResult & { tenantId: string }>>(
          `SELECT t.id AS "tenantId",
                  count(*) FILTER (WHERE w.revisions > 0)::int AS checked,
                  count(*) FILTER (WHERE w.status = 'matched')::int AS matched,
                  count(*) FILTER (WHERE w.status = 'flagged')::int AS flagged,
                  (SELECT count(*)::int FROM metering_reports r
                   WHERE r.tenant_id = t.id AND r.run_id = $4 AND r.status = 'reported') AS corrections,
                  (SELECT count(DISTINCT (r.meter, r.window_start))::int FROM metering_reports r
                   WHERE r.tenant_id = t.id AND r.run_id = $4)
                  + count(*) FILTER (WHERE w.last_sent_at > $5 AND NOT EXISTS (
                      SELECT 1 FROM metering_reports r
                      WHERE r.tenant_id = w.tenant_id AND r.meter = w.meter AND r.window_start = w.window_start
                        AND r.run_id = $4))::int AS pending
           FROM unnest($1::uuid[]) AS t (id)
           LEFT JOIN metering_windows w ON w.tenant_id = t.id AND w.window_start >= $2 AND w.window_start < $3
           GROUP BY t.id`,
          [tenantIds, input.scanFrom, input.closedBefore, runId, settledBefore],
        ),
      );
      return inTenantOrder(allIds, counts, empty);
    });
  }

  return {
    /** reportWindows for one tenant (offboarding's final reconciliation; runs from before the batches). */
    async reportTenantWindows(input: MeteringTenant & ReportInput): Promise<ReportWindowsResult> {
      const { tenantId, slug, ...rest } = input;
      return withoutTenant((await reportWindows([{ tenantId, slug }], rest))[0]!);
    },

    /** checkWindows for one tenant (offboarding's final reconciliation; runs from before the batches). */
    async checkTenantWindows(input: MeteringTenant & CheckInput): Promise<CheckWindowsResult> {
      const { tenantId, slug, ...rest } = input;
      return withoutTenant((await checkWindows([{ tenantId, slug }], rest))[0]!);
    },

    /** reportWindows for a batch of tenants (results in its order). */
    async reportTenantBatch(
      input: ReportInput & { tenants: MeteringTenant[] },
    ): Promise<Array<ReportWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return reportWindows(tenants, rest);
    },

    /** checkWindows for a batch of tenants (results in its order). */
    async checkTenantBatch(
      input: CheckInput & { tenants: MeteringTenant[] },
    ): Promise<Array<CheckWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return checkWindows(tenants, rest);
    },
  };
}

/** One result per tenant in the given order (`missing` for a tenant the statement returned no row for). */
export function inTenantOrder<R extends { tenantId: string }>(
  tenantIds: readonly string[],
  rows: readonly R[],
  missing: (tenantId: string) => R,
): R[] {
  const byTenant = new Map(rows.map((row) => [row.tenantId, row]));
  return tenantIds.map((tenantId) => byTenant.get(tenantId) ?? missing(tenantId));
}

/** A batch's result for one tenant, as the single-tenant activity answers it. */
export function withoutTenant<R>(result: R & { tenantId: string }): R {
  const { tenantId: _tenantId, ...rest } = result;
  return rest as R;
}

/** How a window is named in audit entries and records: `<meter>@<ISO start>`. */
export function windowRef(window: { meter: string; window_start: Date }): string {
  return `${window.meter}@${window.window_start.toISOString()}`;
}
