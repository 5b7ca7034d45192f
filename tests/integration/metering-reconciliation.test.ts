// @needs-servers: stripe
// Metering reconciliation through the whole platform (docs/decisions/0027). 100,000 usage
// events of 50 tenants are seeded straight into usage_events (with repeated ids, which the
// table's uniqueness drops as ingestion does, and late arrivals); the worker's Stripe client
// talks to the fake ledger (tests/support/fake-ledger.ts), which forwards every request to
// stripe-mock and counts meter events as Stripe would. The ledger drops some first reports and
// counts others twice: the run finds the drift and corrects it (an event for what was lost; a
// cancellation and a replacement for what was counted twice), flags the windows older than
// Stripe accepts, and signs a record per tenant and day that verifies against the published
// key. A second run sends nothing. Late arrivals and drift found later are corrected while
// young enough and flagged when not. A worker SIGKILLed in the middle of a run still leaves
// exactly one report per window.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet } from 'jose';
import type { JSONWebKeySet } from 'jose';
import type { ReconciliationDocument, ReconciliationList } from '../../contracts/metering.ts';
import { meteringScheduleId, RECONCILE_METERING_KIND } from '../../workflows/metering/contract.ts';
import type { ReconcileMeteringInput, ReconcileMeteringResult } from '../../workflows/metering/contract.ts';
import { OperationKindSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import { request } from '../support/api-client.ts';
import type { FakeLedger } from '../support/fake-ledger.ts';
import { startFakeLedger } from '../support/fake-ledger.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STRIPE_METERS = {
  'compute.seconds': { id: 'mtr_compute', event: 'compute_seconds' },
  'storage.gigabyte_hours': { id: 'mtr_storage', event: 'storage_gigabyte_hours' },
  'messages.sent': { id: 'mtr_messages', event: 'messages_sent' },
} as const;
type BilledMeter = keyof typeof STRIPE_METERS;
const METERS = Object.keys(STRIPE_METERS) as BilledMeter[];
const SETTLING = '2s';
const TIMINGS = { heartbeatTimeoutMs: 3_000, startToCloseTimeoutMs: 120_000 };

interface SeededTenant {
  id: string;
  slug: string;
  customer: string;
}

/** A stable number from an identifier: which events the ledger drops or counts twice. */
function bucket(identifier: string, modulo: number): number {
  return createHash('sha256').update(identifier).digest().readUInt32BE(0) % modulo;
}

describe('metering reconciliation (fake ledger in front of stripe-mock)', () => {
  let platform: Platform;
  let ledger: FakeLedger;
  const tenants: SeededTenant[] = [];
  /** The open hour when the test started: the closed windows are before it. */
  const openHour = Math.floor(Date.now() / HOUR) * HOUR;

  before(async () => {
    ledger = await startFakeLedger({
      meters: Object.fromEntries(Object.values(STRIPE_METERS).map((m) => [m.id, m.event])),
    });
    platform = await startPlatform({
      env: {
        METERING_SCHEDULE: 'on',
        METERING_SETTLING_DELAY: SETTLING,
        // Once a day (00:05 UTC), and paused below: the test starts its own runs.
        METERING_INTERVAL: '24h',
        ACTIVITY_START_TO_CLOSE_TIMEOUT: '120s',
      },
      workerEnv: ledger.workerEnv(STRIPE_METERS),
    });
  });
  after(async () => {
    await platform?.stop();
    await ledger?.stop();
  });

  async function seedTenants(prefix: string, count: number): Promise<SeededTenant[]> {
    const made = Array.from({ length: count }, (_, index) => {
      const slug = `${prefix}-${String(index).padStart(2, '0')}`;
      return { id: randomUUID(), slug, customer: `cus_${slug.replace(/-/g, '_')}` };
    });
    await platform.database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email)
       SELECT id, slug, slug, 'team', 'active', slug || '@metering.test' FROM unnest($1::uuid[], $2::text[]) AS t (id, slug)`,
      [made.map((t) => t.id), made.map((t) => t.slug)],
    );
    await platform.database.query(
      `INSERT INTO tenant_resources (tenant_id, billing_customer_id) SELECT * FROM unnest($1::uuid[], $2::text[])`,
      [made.map((t) => t.id), made.map((t) => t.customer)],
    );
    return made;
  }

  interface SeedEvent {
    tenant: string;
    id: string;
    meter: string;
    quantity: number;
    occurredAt: Date;
    receivedAt: Date;
  }

  /** One multi-row INSERT; ids sent before are dropped by the table's uniqueness, as ingestion drops them. */
  async function insertEvents(events: SeedEvent[]): Promise<number> {
    const rows = await platform.database.query<{ n: number }>(
      `WITH inserted AS (
         INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at, received_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::timestamptz[])
         ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM inserted`,
      [
        events.map((e) => e.tenant),
        events.map((e) => e.id),
        events.map((e) => e.meter),
        events.map((e) => e.quantity),
        events.map((e) => e.occurredAt),
        events.map((e) => e.receivedAt),
      ],
    );
    return rows[0]!.n;
  }

  /** `perTenant` events per tenant over the last `hours` closed hours, and 3 per meter 25 and 40 days back. */
  function usageOf(tenant: SeededTenant, perTenant: number, hours: number): SeedEvent[] {
    const events: SeedEvent[] = [];
    const at = (ms: number) => new Date(ms);
    for (const meter of METERS)
      for (const [days, label] of [
        [25, 'mid'],
        [40, 'old'],
      ] as const)
        for (let n = 0; n < 3; n += 1) {
          const occurred = openHour - days * DAY + n * 60_000;
          events.push({
            tenant: tenant.id,
            id: `${label}-${meter}-${n}`,
            meter,
            quantity: 2 + n,
            occurredAt: at(occurred),
            receivedAt: at(occurred + 1_000),
          });
        }
    for (let i = events.length; i < perTenant; i += 1) {
      const meter = METERS[i % METERS.length]!;
      const occurred =
        openHour - (1 + ((Math.floor(i / METERS.length) * 7) % hours)) * HOUR + ((i * 131) % 3_600) * 1_000;
      // One in twenty arrived two hours late: it is in its window all the same.
      const late = i % 20 === 0;
      events.push({
        tenant: tenant.id,
        id: `evt-${i}`,
        meter,
        quantity: 1 + (i % 5),
        occurredAt: at(occurred),
        receivedAt: at(Math.min(occurred + (late ? 2 * HOUR : 1_000), Date.now())),
      });
    }
    return events;
  }

  /** What usage_events holds per closed window of the tenants: `<tenant>|<meter>|<hour ms>` → total. */
  async function usageTotals(ids: string[], since: number): Promise<Map<string, number>> {
    const rows = await platform.database.query<{ tenant_id: string; meter: string; hour: Date; total: string }>(
      `SELECT tenant_id, meter, date_trunc('hour', occurred_at, 'UTC') AS hour, sum(quantity)::text AS total
       FROM usage_events WHERE tenant_id = ANY($1) AND occurred_at >= $2 AND occurred_at < $3 GROUP BY 1, 2, 3`,
      [ids, new Date(since), new Date(openHour)],
    );
    return new Map(rows.map((r) => [`${r.tenant_id}|${r.meter}|${r.hour.getTime()}`, Number(r.total)]));
  }

  function expectLedgerMatches(totals: Map<string, number>, byId: Map<string, SeededTenant>, label: string): void {
    const wrong: string[] = [];
    for (const [key, total] of totals) {
      const [tenantId, meter, hour] = key.split('|') as [string, BilledMeter, string];
      const counted = ledger.counted(byId.get(tenantId)!.customer, STRIPE_METERS[meter].event, Number(hour));
      if (counted !== total)
        wrong.push(
          `${byId.get(tenantId)!.slug} ${meter} ${new Date(Number(hour)).toISOString()}: ${counted} ≠ ${total}`,
        );
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${label}: ${wrong.length} window(s) where the ledger differs from usage`);
  }

  async function runNow(): Promise<{ workflowId: string; result: ReconcileMeteringResult }> {
    const started = await request(platform.baseUrl, 'POST', '/api/v1/admin/metering/runs', {
      headers: platform.admin.headers,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.workflowId as string;
    const result = (await platform.temporal.workflow.getHandle(workflowId).result()) as ReconcileMeteringResult;
    return { workflowId, result };
  }

  async function runWith(policy: Partial<ReconcileMeteringInput['policy']>, name: string) {
    const input: ReconcileMeteringInput = {
      policy: {
        settlingDelayMs: 2_000,
        correctionWindowMs: 35 * DAY,
        resendHorizonMs: 12 * HOUR,
        checkRounds: 3,
        tenantConcurrency: 2,
        ...policy,
      },
      timings: TIMINGS,
    };
    const workflowId = `${meteringScheduleId(platform.taskQueue)}/test-${name}`;
    const handle = await platform.temporal.workflow.start('reconcileMetering', {
      workflowId,
      taskQueue: familyTaskQueue(platform.taskQueue, 'metering'),
      args: [input],
      typedSearchAttributes: [{ key: OperationKindSearchAttribute, value: RECONCILE_METERING_KIND }],
    });
    return { workflowId, result: (await handle.result()) as ReconcileMeteringResult };
  }

  it('is on an hourly-style Schedule of its own: one run at a time, catching up', async () => {
    const handle = platform.temporal.schedule.getHandle(meteringScheduleId(platform.taskQueue));
    await handle.pause('the test starts its own runs');
    const schedule = await handle.describe();
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.workflowType, 'reconcileMetering');
    assert.equal(schedule.action.taskQueue, familyTaskQueue(platform.taskQueue, 'metering'));
    assert.equal(schedule.policies.overlap, 'BUFFER_ONE');
    assert.equal(schedule.policies.catchupWindow, DAY);
    assert.equal(schedule.spec.intervals?.[0]?.every, DAY);
  });

  it('reports 100,000 events of 50 tenants, corrects the drift the ledger made, flags what is too old, and signs records that verify', async () => {
    tenants.push(...(await seedTenants('meter', 50)));
    const events = tenants.flatMap((tenant) => usageOf(tenant, 2_000, 24));
    // Repeats: every fiftieth event sent again (another quantity): ingestion keeps the first.
    const repeats = events.filter((_, i) => i % 50 === 7).map((e) => ({ ...e, quantity: e.quantity + 100 }));
    const stored = await insertEvents([...events, ...repeats]);
    assert.equal(stored, 100_000, 'the repeated ids were dropped');

    ledger.rules = {
      drop: (e) => e.identifier.endsWith(':1') && bucket(e.identifier, 40) === 0,
      duplicate: (e) => e.identifier.endsWith(':1') && bucket(e.identifier, 40) === 1,
    };
    const first = await runNow();
    ledger.rules = {};
    await recordHistory(platform.temporal, first.workflowId, 'reconcile-metering-corrected');
    assert.ok(ledger.dropped.size > 0 && ledger.duplicated.size > 0, 'the ledger made drift');

    const byId = new Map(tenants.map((t) => [t.id, t]));
    const ids = tenants.map((t) => t.id);
    // Every window Stripe still accepts is counted exactly as used, drift corrected.
    expectLedgerMatches(await usageTotals(ids, openHour - 35 * DAY), byId, 'after the first run');
    const [corrections] = await platform.database.query<{ correction: number; cancel: number; replacement: number }>(
      `SELECT count(*) FILTER (WHERE kind = 'correction')::int AS correction,
              count(*) FILTER (WHERE kind = 'cancel')::int AS cancel,
              count(*) FILTER (WHERE kind = 'replacement')::int AS replacement
       FROM metering_reports WHERE tenant_id = ANY($1)`,
      [ids],
    );
    assert.deepEqual(corrections, {
      correction: ledger.dropped.size,
      cancel: ledger.duplicated.size,
      replacement: ledger.duplicated.size,
    });
    assert.equal(first.result.corrections, ledger.dropped.size + 2 * ledger.duplicated.size);
    assert.equal(first.result.tenants, 50);
    // The 40-day-old windows were never sent: flagged, with what they miss.
    const old = await platform.database.query<{ n: number; unbilled: string }>(
      `SELECT count(*)::int AS n, sum(unbilled)::text AS unbilled FROM metering_windows
       WHERE tenant_id = ANY($1) AND flag = 'too_old' AND revisions = 0`,
      [ids],
    );
    assert.equal(old[0]!.n, 50 * METERS.length);
    assert.equal(Number(old[0]!.unbilled), 50 * METERS.length * (2 + 3 + 4));
    assert.equal(
      ledger.requests.filter((r) => r.identifier !== null && /:(\d+):1$/.test(r.identifier) && r.status === 400).length,
      0,
      'nothing too old reached the ledger',
    );
    // One report per window, corrections aside.
    const [reports] = await platform.database.query<{ windows: number; firsts: number }>(
      `SELECT (SELECT count(*)::int FROM metering_windows WHERE tenant_id = ANY($1) AND revisions > 0) AS windows,
              (SELECT count(*)::int FROM metering_reports WHERE tenant_id = ANY($1) AND kind = 'report') AS firsts`,
      [ids],
    );
    assert.equal(reports!.firsts, reports!.windows);

    // The signed records verify with the public key the API publishes.
    const jwks = await request(platform.baseUrl, 'GET', '/api/v1/license/jwks');
    const keys = createLocalJWKSet(jwks.body as JSONWebKeySet);
    for (const tenant of tenants.slice(0, 5)) {
      const list = await request(
        platform.baseUrl,
        'GET',
        `/api/v1/tenants/${tenant.slug}/reconciliations?from=${isoDay(openHour - 45 * DAY)}`,
        {
          headers: platform.admin.headers,
        },
      );
      assert.equal(list.status, 200, JSON.stringify(list.body));
      const periods = (list.body as ReconciliationList).reconciliations;
      assert.ok(periods.length >= 3, `${tenant.slug}: ${JSON.stringify(periods)}`);
      for (const { period } of periods) {
        const one = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/reconciliations/${period}`, {
          headers: platform.admin.headers,
        });
        assert.equal(one.status, 200);
        const document = one.body as ReconciliationDocument;
        const verified = await compactVerify(document.jws, keys);
        assert.equal(verified.protectedHeader.typ, 'atrium-reconciliation+jws');
        assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), document.record);
        assert.equal(document.record.tenant.slug, tenant.slug);
      }
      const oldDay = isoDay(openHour - 40 * DAY);
      const oldRecord = (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/reconciliations/${oldDay}`, {
          headers: platform.admin.headers,
        })
      ).body as ReconciliationDocument;
      assert.ok(
        oldRecord.record.meters.every((m) => m.windows.every((w) => w.flag === 'too_old' && w.events.length === 0)),
      );
    }

    // A second run for the same windows sends nothing.
    const posts = ledger.meterEventPosts() + ledger.adjustmentPosts();
    const [revisions] = await platform.database.query<{ sum: number }>(
      `SELECT sum(revision)::int AS sum FROM metering_reconciliations WHERE tenant_id = ANY($1)`,
      [ids],
    );
    const second = await runNow();
    await recordHistory(platform.temporal, second.workflowId, 'reconcile-metering-unchanged');
    assert.equal(ledger.meterEventPosts() + ledger.adjustmentPosts(), posts, 'the second run sent nothing');
    assert.equal(second.result.reported, 0);
    assert.equal(second.result.corrections, 0);
    assert.deepEqual(
      await platform.database.query(
        `SELECT sum(revision)::int AS sum FROM metering_reconciliations WHERE tenant_id = ANY($1)`,
        [ids],
      ),
      [revisions],
      'no record was signed again',
    );
  });

  it('reports late arrivals, corrects drift found later while Stripe accepts it, and flags it when too old', async () => {
    const [young, aged] = [tenants[0]!, tenants[1]!];
    const late = tenants.slice(0, 10).map((tenant, n) => ({
      tenant: tenant.id,
      id: `late-${n}`,
      meter: 'compute.seconds',
      quantity: 7,
      occurredAt: new Date(openHour - 2 * HOUR + 10_000),
      receivedAt: new Date(),
    }));
    assert.equal(await insertEvents(late), 10);
    const youngHour = openHour - 3 * HOUR;
    const agedHour = openHour - 25 * DAY;
    const lostYoung = ledger.counted(young.customer, 'messages_sent', youngHour);
    const lostAged = ledger.counted(aged.customer, 'messages_sent', agedHour);
    assert.ok(lostYoung > 0 && lostAged > 0);
    ledger.forget(
      (e) => e.customer === young.customer && e.eventName === 'messages_sent' && hourOf(e.timestamp) === youngHour,
    );
    ledger.forget(
      (e) => e.customer === aged.customer && e.eventName === 'messages_sent' && hourOf(e.timestamp) === agedHour,
    );

    const posts = ledger.meterEventPosts();
    // Corrections accepted for 20 days only: the 25-day-old window can no longer be corrected.
    const third = await runWith({ correctionWindowMs: 20 * DAY }, 'narrow');
    assert.equal(ledger.meterEventPosts() - posts, 10 + 1, 'ten late arrivals and one correction');
    assert.equal(third.result.reported, 10);
    const byId = new Map(tenants.map((t) => [t.id, t]));
    expectLedgerMatches(
      await usageTotals(
        tenants.map((t) => t.id),
        openHour - 20 * DAY,
      ),
      byId,
      'after the late run',
    );
    const [flagged] = await platform.database.query<{ flag: string; unbilled: string; stripe_count: string }>(
      `SELECT flag, trim_scale(unbilled)::text AS unbilled, trim_scale(stripe_count)::text AS stripe_count FROM metering_windows
       WHERE tenant_id = $1 AND meter = 'messages.sent' AND window_start = $2`,
      [aged.id, new Date(agedHour)],
    );
    assert.deepEqual(flagged, { flag: 'too_old', unbilled: String(lostAged), stripe_count: '0' });
    const lateRows = await platform.database.query<{ kind: string; value: string }>(
      `SELECT kind, trim_scale(value)::text AS value FROM metering_reports
       WHERE tenant_id = ANY($1) AND kind = 'late'`,
      [tenants.slice(0, 10).map((t) => t.id)],
    );
    assert.deepEqual(
      lateRows,
      Array.from({ length: 10 }, () => ({ kind: 'late', value: '7' })),
    );
  });

  it('waits the settling delay: events Stripe counts a moment late are not mistaken for drift', async () => {
    const [slow] = await seedTenants('slow', 1);
    await insertEvents(usageOf(slow!, 300, 6).filter((e) => !/^(mid|old)-/.test(e.id)));
    // The ledger counts this customer's events a second after they arrive; the run reads back after two.
    ledger.rules = { delayMs: (e) => (e.customer === slow!.customer ? 1_000 : 0) };
    const run = await runWith({}, 'slow');
    ledger.rules = {};
    assert.ok(run.result.tenants > 1);
    const kinds = await platform.database.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM metering_reports WHERE tenant_id = $1 GROUP BY 1`,
      [slow!.id],
    );
    assert.deepEqual(kinds, [{ kind: 'report', n: 6 * METERS.length }], 'first reports only: nothing corrected');
    const totals = await usageTotals([slow!.id], openHour - 7 * HOUR);
    assert.equal(totals.size, 6 * METERS.length);
    expectLedgerMatches(totals, new Map([[slow!.id, slow!]]), 'after the slow ledger');
  });

  it('answers bad input with problem+json naming the field, and only a platform admin starts a run', async () => {
    const slug = tenants[0]!.slug;
    const get = (path: string) => request(platform.baseUrl, 'GET', path, { headers: platform.admin.headers });
    const badPeriod = await get(`/api/v1/tenants/${slug}/reconciliations/yesterday`);
    assert.equal(badPeriod.status, 422);
    assert.match(String(badPeriod.headers.get('content-type')), /application\/problem\+json/);
    assert.deepEqual(
      badPeriod.body.errors.map((e: { path: string }) => e.path),
      ['period'],
    );
    const reversed = await get(`/api/v1/tenants/${slug}/reconciliations?from=2026-12-02&to=2026-12-01`);
    assert.equal(reversed.status, 422);
    assert.deepEqual(
      reversed.body.errors.map((e: { path: string }) => e.path),
      ['from'],
    );
    const unknown = await get(`/api/v1/tenants/${slug}/reconciliations?since=2026-12-01`);
    assert.equal(unknown.status, 422);
    const none = await get(`/api/v1/tenants/${slug}/reconciliations/2020-01-01`);
    assert.equal(none.status, 404);
    assert.deepEqual(
      none.body.errors.map((e: { path: string }) => e.path),
      ['period'],
    );
    const member = await request(platform.baseUrl, 'POST', '/api/v1/admin/metering/runs', {});
    assert.equal(member.status, 401);
  });

  it('a worker killed in the middle of a run still leaves exactly one report per window', async (context) => {
    const victims = await seedTenants('crash', 10);
    await insertEvents(
      victims.flatMap((tenant) => usageOf(tenant, 2_000, 24)).filter((e) => !/^(mid|old)-/.test(e.id)),
    );
    const posts = ledger.meterEventPosts();
    const started = await request(platform.baseUrl, 'POST', '/api/v1/admin/metering/runs', {
      headers: platform.admin.headers,
    });
    assert.equal(started.status, 202);
    const deadline = Date.now() + 120_000;
    while (ledger.meterEventPosts() - posts < 150) {
      assert.ok(Date.now() < deadline, 'the run started reporting');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await platform.worker.kill();
    await platform.startWorker();
    const result = (await platform.temporal.workflow
      .getHandle(started.body.workflowId as string)
      .result()) as ReconcileMeteringResult;
    assert.ok(result.tenants >= 10);

    const byId = new Map(victims.map((t) => [t.id, t]));
    const totals = await usageTotals(
      victims.map((t) => t.id),
      openHour - DAY - HOUR,
    );
    assert.equal(totals.size, 10 * 24 * METERS.length);
    expectLedgerMatches(totals, byId, 'after the kill');
    for (const key of totals.keys()) {
      const [tenantId, meter, hour] = key.split('|') as [string, BilledMeter, string];
      assert.equal(
        ledger.identifiersIn(byId.get(tenantId)!.customer, STRIPE_METERS[meter].event, Number(hour)).length,
        1,
        key,
      );
    }
    // The killed attempts were retried by the new worker (a report activity ran more than once);
    // what they had sent but not marked went out again under the same identifiers.
    const history = await platform.temporal.workflow.getHandle(started.body.workflowId as string).fetchHistory();
    const scheduled = new Map(
      (history.events ?? [])
        // A batch of tenants per call (runs before the batches: one tenant per call).
        .filter((e) =>
          ['reportTenantBatch', 'reportTenantWindows'].includes(
            e.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
          ),
        )
        .map((e) => [String(e.eventId), true]),
    );
    const attempts = (history.events ?? [])
      .filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
      .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    assert.ok(Math.max(...attempts) >= 2, `a report activity was retried after the kill: ${JSON.stringify(attempts)}`);
    const victimIds = new Set(victims.map((t) => t.id));
    const posted = new Map<string, number>();
    for (const r of ledger.requests)
      if (r.identifier && r.path === '/v1/billing/meter_events' && victimIds.has(r.identifier.split(':')[1]!))
        posted.set(r.identifier, (posted.get(r.identifier) ?? 0) + 1);
    const resent = [...posted.values()].filter((n) => n > 1).length;
    context.diagnostic(
      `${posted.size} identifiers posted, ${resent} of them twice (sent again after the kill, counted once)`,
    );
    const rows = await platform.database.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM metering_reports WHERE tenant_id = ANY($1) GROUP BY 1`,
      [victims.map((t) => t.id)],
    );
    assert.deepEqual(rows, [{ status: 'reported', n: totals.size }]);
  });
});

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function hourOf(ms: number): number {
  return Math.floor(ms / HOUR) * HOUR;
}
