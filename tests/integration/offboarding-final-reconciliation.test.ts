// @needs-servers: stripe
// Offboarding reconciles the tenant's usage one last time before its billing customer is
// deleted ("suspension keeps metering; offboarding runs a final reconciliation"). A tenant
// provisioned against stripe-mock (through the fake ledger, tests/support/fake-ledger.ts) has
// usage in a closed hour no hourly run reported yet and in the hour still open; after the
// offboarding the ledger counts both windows exactly as used, every meter event reached it
// before the customer's DELETE, the teardown report holds the evidence, and an hourly run
// afterwards sends nothing more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReconcileMeteringInput, ReconcileMeteringResult } from '../../workflows/metering/contract.ts';
import { meteringScheduleId, RECONCILE_METERING_KIND } from '../../workflows/metering/contract.ts';
import { OperationKindSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { FakeLedger } from '../support/fake-ledger.ts';
import { startFakeLedger } from '../support/fake-ledger.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const HOUR = 3_600_000;
const STRIPE_METERS = {
  'compute.seconds': { id: 'mtr_compute', event: 'compute_seconds' },
  'messages.sent': { id: 'mtr_messages', event: 'messages_sent' },
} as const;

describe('offboarding: final metering reconciliation before the customer is deleted', () => {
  let platform: Platform;
  let ledger: FakeLedger;
  let owner: TestUser;

  before(async () => {
    ledger = await startFakeLedger({
      meters: Object.fromEntries(Object.values(STRIPE_METERS).map((m) => [m.id, m.event])),
    });
    platform = await startPlatform({
      env: { METERING_SETTLING_DELAY: '1s' },
      workerEnv: ledger.workerEnv(STRIPE_METERS),
    });
    owner = await seedUser(platform.database, { email: 'owner@final-reconciliation.test' });
  });
  after(async () => {
    await platform?.stop();
    await ledger?.stop();
  });

  it('reports the closed and the open hour, reads them back, and only then deletes the customer', async () => {
    const slug = uniqueSlug('final');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Final reconciliation', ownerEmail: owner.email },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitForOperation(platform, created.body.operation.id)).status, 'completed');
    const tenantId = created.body.tenant.id as string;
    const [resources] = await platform.database.query<{ customer: string }>(
      `SELECT billing_customer_id AS customer FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    const customer = resources?.customer ?? '';
    assert.ok(customer, 'provisioning created a customer');

    // Usage in the last closed hour (no hourly run reported it: the Schedule is off) and in
    // the hour still open, which no later run could report once the customer is gone.
    const now = Date.now();
    const openHour = Math.floor(now / HOUR) * HOUR;
    const events = [
      { id: 'closed-1', meter: 'compute.seconds', quantity: 30, at: openHour - HOUR + 60_000 },
      { id: 'closed-2', meter: 'compute.seconds', quantity: 12.5, at: openHour - 30 * 60_000 },
      { id: 'closed-3', meter: 'messages.sent', quantity: 4, at: openHour - 10 * 60_000 },
      { id: 'open-1', meter: 'compute.seconds', quantity: 7, at: Math.max(openHour, now - 1_000) },
      { id: 'open-2', meter: 'messages.sent', quantity: 3, at: Math.max(openHour, now - 500) },
    ] as const;
    await platform.database.query(
      `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at, received_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $5::timestamptz[])`,
      [
        tenantId,
        events.map((e) => e.id),
        events.map((e) => e.meter),
        events.map((e) => e.quantity),
        events.map((e) => new Date(e.at)),
      ],
    );

    const started = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/offboard`, {
      headers: platform.admin.headers,
      json: { reason: 'Contract ended', gracePeriod: '1s' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.operation.id as string;
    const operation = await waitForOperation(platform, id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, id, 'offboard-tenant-final-reconciliation');
    const steps = operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]);
    assert.deepEqual(steps.slice(steps.findIndex(([name]: [string]) => name === 'database')), [
      ['database', 'completed'],
      ['metering', 'completed'],
      ['billing', 'completed'],
      ['report', 'completed'],
      ['webhooks', 'completed'],
    ]);

    // Both windows of each meter counted exactly as used, once.
    const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR;
    const expected = new Map<string, number>();
    for (const e of events) {
      const key = `${e.meter}|${hourOf(e.at)}`;
      expected.set(key, (expected.get(key) ?? 0) + e.quantity);
    }
    for (const [key, total] of expected) {
      const [meter, hour] = key.split('|') as [keyof typeof STRIPE_METERS, string];
      assert.equal(ledger.counted(customer, STRIPE_METERS[meter].event, Number(hour)), total, key);
      assert.equal(ledger.identifiersIn(customer, STRIPE_METERS[meter].event, Number(hour)).length, 1, key);
    }

    // Every meter event reached the ledger before the customer was deleted.
    const deletion = ledger.requests.findIndex((r) => r.method === 'DELETE' && r.path === `/v1/customers/${customer}`);
    assert.ok(deletion >= 0, 'the customer was deleted');
    const meterEvents = ledger.requests
      .map((r, index) => ({ r, index }))
      .filter(({ r }) => r.path === '/v1/billing/meter_events');
    assert.equal(meterEvents.length, expected.size);
    assert.ok(
      meterEvents.every(({ index }) => index < deletion),
      'meter events before the deletion',
    );
    const readBack = ledger.requests.findIndex((r) => r.method === 'GET' && r.path.includes('/event_summaries'));
    assert.ok(readBack >= 0 && readBack < deletion, 'read back before the deletion');

    // The teardown report's evidence.
    const report = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/offboard/report`, {
      headers: platform.admin.headers,
    });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const metering = report.body.steps.metering;
    assert.equal(metering.closedBefore, new Date(openHour + HOUR).toISOString());
    assert.equal(metering.reported, expected.size);
    assert.equal(metering.corrections, 0);
    const billed = metering.meters.filter((m: { meter: string }) => m.meter in STRIPE_METERS);
    assert.deepEqual(
      billed.map((m: { meter: string; usageTotal: string; reported: string; providerCounted: string }) => [
        m.meter,
        Number(m.usageTotal),
        Number(m.reported),
        Number(m.providerCounted),
      ]),
      [
        ['compute.seconds', 49.5, 49.5, 49.5],
        ['messages.sent', 7, 7, 7],
      ],
    );
    assert.ok(
      metering.meters.every((m: { unreported: number }) => m.unreported === 0),
      JSON.stringify(metering),
    );
    assert.ok(metering.records.length >= 1, 'a signed record');

    // An hourly run afterwards sends nothing: every window is recorded as reported, and the
    // tenant has no customer any more.
    const posts = ledger.meterEventPosts() + ledger.adjustmentPosts();
    const input: ReconcileMeteringInput = {
      policy: {
        settlingDelayMs: 1_000,
        correctionWindowMs: 35 * 86_400_000,
        resendHorizonMs: 12 * HOUR,
        checkRounds: 1,
        tenantConcurrency: 2,
      },
      timings: { heartbeatTimeoutMs: 3_000, startToCloseTimeoutMs: 60_000 },
    };
    const handle = await platform.temporal.workflow.start('reconcileMetering', {
      workflowId: `${meteringScheduleId(platform.taskQueue)}/test-after-offboarding`,
      taskQueue: familyTaskQueue(platform.taskQueue, 'metering'),
      args: [input],
      typedSearchAttributes: [{ key: OperationKindSearchAttribute, value: RECONCILE_METERING_KIND }],
    });
    const hourly = (await handle.result()) as ReconcileMeteringResult;
    assert.equal(hourly.reported, 0);
    assert.equal(ledger.meterEventPosts() + ledger.adjustmentPosts(), posts, 'the hourly run sent nothing');
  });
});
