// The metering family's activities, called directly on the embedded adapters (local billing
// keeps its own ledger of meter events), in the order reconcileMetering calls them for one
// tenant: the tenants with usage, its windows reported (one too old, flagged), a lost event
// found by the read-back and corrected, the day's records signed. Each runs twice: the second
// run sends nothing, audits nothing, changes no row, and the bystander is untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet } from 'jose';
import meteringFamily from '../../activities/metering/index.ts';
import type { ReconciliationRecord } from '../../contracts/metering.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('metering activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof meteringFamily.createActivities>;
  let t: TestTenant;
  const openHour = Math.floor(Date.now() / HOUR) * HOUR;
  const now = new Date();
  const window = {
    closedBefore: new Date(openHour).toISOString(),
    scanFrom: new Date(openHour - 49 * DAY).toISOString(),
    now: now.toISOString(),
    acceptAfter: new Date(now.getTime() - 35 * DAY).toISOString(),
    resendAfter: new Date(now.getTime() - 12 * HOUR).toISOString(),
  };

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-meter' });
    a = meteringFamily.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    const at = (ms: number) => new Date(ms);
    await h.database.query(
      `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::timestamptz[])`,
      [
        t.tenantId,
        ['a1', 'a2', 'b1', 'c1', 'old1'],
        ['compute.seconds', 'compute.seconds', 'compute.seconds', 'messages.sent', 'compute.seconds'],
        [1.5, 2, 4, 10, 3],
        [
          at(openHour - 3 * HOUR + 60_000),
          at(openHour - 3 * HOUR + 120_000),
          at(openHour - 2 * HOUR),
          at(openHour - HOUR + 5_000),
          at(openHour - 40 * DAY),
        ],
      ],
    );
  });
  after(async () => {
    await h?.stop();
  });

  it('listMeteringTenants: the tenants with usage in the run’s windows', async () => {
    const run = await h.twice(a, 'listMeteringTenants', window, { tenant: t });
    assert.deepEqual(run.result, [{ tenantId: t.tenantId, slug: t.slug }]);
  });

  it('reportTenantWindows: each closed window reported once under its identifier; the too-old one flagged', async () => {
    const run = await h.twice(a, 'reportTenantWindows', { ...h.ref(t), ...window }, { tenant: t });
    assert.deepEqual(run.result, { reported: 3, flagged: 1 });
    assert.deepEqual(run.audit, ['metering.window_flagged']);
    const sent = await h.database.query<{ identifier: string; value: string }>(
      `SELECT identifier, trim_scale(value)::text AS value FROM local_billing_meter_events WHERE tenant_id = $1 ORDER BY identifier`,
      [t.tenantId],
    );
    const epoch = (ms: number) => Math.floor(ms / 1000);
    assert.deepEqual(sent, [
      { identifier: `atr:${t.tenantId}:compute.seconds:${epoch(openHour - 3 * HOUR)}:1`, value: '3.5' },
      { identifier: `atr:${t.tenantId}:compute.seconds:${epoch(openHour - 2 * HOUR)}:1`, value: '4' },
      { identifier: `atr:${t.tenantId}:messages.sent:${epoch(openHour - HOUR)}:1`, value: '10' },
    ]);
    const flagged = run.after.metering_windows.filter((w: { flag: string | null }) => w.flag !== null);
    assert.deepEqual(
      flagged.map((w: { flag: string; unbilled: string }) => [w.flag, Number(w.unbilled)]),
      [['too_old', 3]],
    );
  });

  it('checkTenantWindows: a lost event is found by the read-back and corrected once', async () => {
    // The ledger loses the 4 seconds of two hours ago.
    await h.database.query(
      `UPDATE local_billing_meter_events SET cancelled_at = now() WHERE tenant_id = $1 AND value = 4`,
      [t.tenantId],
    );
    const input = { ...h.ref(t), ...window, settledBefore: new Date(Date.now() + HOUR).toISOString(), round: 1 };
    const run = await h.twice(a, 'checkTenantWindows', input, { tenant: t });
    assert.equal(run.result.corrections, 1);
    assert.equal(run.result.checked, 3);
    const [counted] = await h.database.query<{ total: string }>(
      `SELECT trim_scale(sum(value))::text AS total FROM local_billing_meter_events
       WHERE tenant_id = $1 AND occurred_at = $2 AND cancelled_at IS NULL`,
      [t.tenantId, new Date(openHour - 2 * HOUR)],
    );
    assert.equal(counted!.total, '4');
    // Read back again: everything matches now, nothing more is sent.
    const again = await h.twice(a, 'checkTenantWindows', { ...input, round: 2 }, { tenant: t });
    assert.deepEqual(again.result, { checked: 3, matched: 3, corrections: 0, flagged: 1, pending: 0 });
  });

  it('signReconciliationRecords: one record per day, signed with the license key, verified with its JWK', async () => {
    const signedAt = new Date().toISOString();
    const run = await h.twice(a, 'signReconciliationRecords', { ...h.ref(t), signedAt }, { tenant: t });
    // The harness's state shortens long strings (the JWS) to a hash: read the rows themselves.
    const rows = await h.database.query<{ jws: string; record: ReconciliationRecord }>(
      `SELECT jws, record FROM metering_reconciliations WHERE tenant_id = $1 ORDER BY period`,
      [t.tenantId],
    );
    assert.equal(run.result.signed, rows.length);
    assert.ok(rows.length >= 2, 'the day 40 days ago and today (or yesterday)');
    assert.deepEqual(
      run.audit,
      rows.map(() => 'metering.reconciliation_signed'),
    );
    const keys = createLocalJWKSet({ keys: [h.deps.license.publicJwk] });
    for (const row of rows) {
      const verified = await compactVerify(row.jws, keys);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), row.record);
    }
    const recent = rows
      .flatMap((row) => row.record.meters)
      .find((m) => m.meter === 'compute.seconds' && m.corrections > 0);
    assert.ok(recent, 'the correction is in a record');
    await h.assertBystanderUntouched();
  });
  it('a batch of tenants in one call: each tenant reported, read back and signed as alone, every audit chain intact', async () => {
    const [u, v] = [h.newTenant(), h.newTenant()];
    await h.provision(u);
    await h.provision(v);
    const hour = openHour - 4 * HOUR;
    for (const [tenant, quantity] of [
      [u, 2],
      [v, 7],
    ] as const)
      await h.database.query(
        `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at)
         VALUES ($1, 'b1', 'compute.seconds', $2, $3), ($1, 'b2', 'messages.sent', 1, $3),
                ($1, 'b-old', 'compute.seconds', 1, $4)`,
        [tenant.tenantId, quantity, new Date(hour + 1_000), new Date(openHour - 40 * DAY)],
      );
    const tenants = [h.ref(u), h.ref(v)].map(({ tenantId, slug }) => ({ tenantId, slug }));
    const execution = { workflowId: 'activity-test-batch', runId: 'run-1' };
    const report = await h.twice(
      a,
      'reportTenantBatch',
      { tenants, ...window },
      { tenant: u, workflowExecution: execution },
    );
    assert.deepEqual(report.result, [
      { tenantId: u.tenantId, reported: 2, flagged: 1 },
      { tenantId: v.tenantId, reported: 2, flagged: 1 },
    ]);
    // One statement audited both tenants' flags, each in its own chain (twice() verifies the chains).
    assert.deepEqual(report.audit, ['metering.window_flagged']);
    const sent = await h.database.query<{ tenant_id: string; value: string }>(
      `SELECT tenant_id, trim_scale(value)::text AS value FROM local_billing_meter_events
       WHERE tenant_id = ANY($1::uuid[]) AND occurred_at = $2 ORDER BY value`,
      [[u.tenantId, v.tenantId], new Date(hour)],
    );
    assert.deepEqual(
      sent.filter((row) => row.value !== '1'),
      [
        { tenant_id: u.tenantId, value: '2' },
        { tenant_id: v.tenantId, value: '7' },
      ],
    );
    const check = await h.twice(
      a,
      'checkTenantBatch',
      { tenants, ...window, settledBefore: new Date(Date.now() + HOUR).toISOString(), round: 1 },
      { tenant: v, workflowExecution: execution },
    );
    for (const [index, tenant] of [u, v].entries())
      assert.deepEqual(check.result[index], {
        tenantId: tenant.tenantId,
        checked: 2,
        matched: 2,
        corrections: 0,
        flagged: 1,
        pending: 0,
      });
    const sign = await h.twice(
      a,
      'signTenantBatch',
      { tenants, signedAt: new Date().toISOString() },
      { tenant: u, workflowExecution: execution },
    );
    const keys = createLocalJWKSet({ keys: [h.deps.license.publicJwk] });
    for (const [index, tenant] of [u, v].entries()) {
      const rows = await h.database.query<{ jws: string; record: ReconciliationRecord }>(
        `SELECT jws, record FROM metering_reconciliations WHERE tenant_id = $1 ORDER BY period`,
        [tenant.tenantId],
      );
      assert.deepEqual(sign.result[index], { tenantId: tenant.tenantId, signed: rows.length });
      assert.equal(rows.length, 2, 'the day 40 days ago and the recent one');
      for (const row of rows) {
        const verified = await compactVerify(row.jws, keys);
        const record = JSON.parse(new TextDecoder().decode(verified.payload)) as ReconciliationRecord;
        assert.deepEqual(record, row.record);
        assert.equal(record.tenant.id, tenant.tenantId, 'each record is its own tenant’s');
      }
    }
  });

  it('a report left pending past the resend horizon is not sent again: the read-back settles it', async () => {
    const execution = { workflowId: 'activity-test-horizon', runId: 'run-1' };
    const hour = openHour - 5 * HOUR;
    await h.database.query(
      `INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at) VALUES ($1, 'h1', 'compute.seconds', 6, $2)`,
      [t.tenantId, new Date(hour + 1_000)],
    );
    // Stripe unreachable: the attempt recorded its report pending, and failed before sending it.
    const down = meteringFamily.createActivities({
      ...h.deps,
      billing: {
        ...h.deps.billing,
        reportMeterEvent: () => Promise.reject(new BillingError('unreachable', 'Stripe is down')),
      },
    });
    const error = await h.failure(
      down,
      'reportTenantWindows',
      { ...h.ref(t), ...window },
      { workflowExecution: execution },
    );
    assert.match(String(error), /Stripe is down/);
    const identifier = `atr:${t.tenantId}:compute.seconds:${Math.floor(hour / 1000)}:1`;
    // Thirteen hours later (past METERING_RESEND_HORIZON) nobody can say whether Stripe still knows it.
    await h.database.query(
      `UPDATE metering_reports SET created_at = now() - interval '13 hours' WHERE identifier = $1 AND status = 'pending'`,
      [identifier],
    );
    const report = await h.twice(
      a,
      'reportTenantWindows',
      { ...h.ref(t), ...window },
      {
        tenant: t,
        workflowExecution: execution,
      },
    );
    assert.equal(report.result.reported, 0, 'not sent again');
    const [row] = await h.database.query<{ status: string }>(
      `SELECT status FROM metering_reports WHERE identifier = $1`,
      [identifier],
    );
    assert.equal(row!.status, 'unconfirmed');
    const check = await h.twice(
      a,
      'checkTenantWindows',
      { ...h.ref(t), ...window, settledBefore: new Date(Date.now() + HOUR).toISOString(), round: 1 },
      { tenant: t, workflowExecution: execution },
    );
    assert.equal(check.result.corrections, 1);
    const counted = await h.database.query<{ identifier: string; value: string }>(
      `SELECT identifier, trim_scale(value)::text AS value FROM local_billing_meter_events
       WHERE tenant_id = $1 AND occurred_at = $2 AND cancelled_at IS NULL`,
      [t.tenantId, new Date(hour)],
    );
    assert.deepEqual(
      counted,
      [{ identifier: identifier.replace(/:1$/, ':2'), value: '6' }],
      'counted once, as the correction',
    );
  });
});
