// The billing family's activities, called directly on the embedded adapters (local billing:
// prices are plan names), in the order tenantBilling calls them for one tenant: dunning
// started (owners and admins mailed once), another invoice, the suspension decided and
// recorded, the billing suspension found liftable and an admin's not, dunning ended, the
// subscription followed (plan and license), the inbox row's outcome. Each runs twice; the
// second run changes nothing and the bystander is untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import billingFamily from '../../activities/billing/index.ts';
import { SYSTEM_ACTOR } from '../../activities/shared/kernel.ts';
import tenantSuspension from '../../activities/tenant-suspension/index.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import { assertOneEvent, newEvents } from '../support/events.ts';

describe('billing activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof billingFamily.createActivities>;
  let t: TestTenant;
  const actor = SYSTEM_ACTOR;
  const since = '2026-12-01T10:00:00.000Z';
  const graceEndsAt = '2026-12-08T10:00:00.000Z';

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-bill' });
    a = billingFamily.createActivities(h.deps);
    t = h.newTenant();
    // The owner has an account (provisioning makes them the owner member); an admin joins.
    await h.database.query(`INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Owner', now())`, [
      t.ownerEmail,
    ]);
    await h.provision(t);
    const [adminUser] = await h.database.query<{ id: string }>(
      `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Admin', now()) RETURNING id`,
      [`admin@${t.slug}.test`],
    );
    await h.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin')`, [
      t.tenantId,
      adminUser!.id,
    ]);
  });
  after(async () => {
    await h?.stop();
  });

  const billingRow = (state: Record<string, any>) => {
    assert.equal(state.tenant_billing.length, 1, 'one tenant_billing row');
    return state.tenant_billing[0];
  };

  it('startDunning: in dunning, owners and admins mailed once, audited and emitted once', async () => {
    const run = await h.twice(
      a,
      'startDunning',
      { tenantId: t.tenantId, eventId: 'evt_fail_1', invoiceId: 'in_1', since, graceEndsAt, actor },
      { tenant: t, secondResult: { recipients: [] } },
    );
    assert.deepEqual([...run.result.recipients].sort(), [`admin@${t.slug}.test`, t.ownerEmail].sort());
    assert.deepEqual(run.audit, ['billing.dunning_started', 'billing.dunning_mailed']);
    assertOneEvent(newEvents(run.before, run.after), 'billing.dunning_started', {
      tenantId: t.tenantId,
      slug: t.slug,
      invoiceId: 'in_1',
      graceEndsAt,
    });
    const row = billingRow(run.after);
    assert.equal(row.standing, 'dunning');
    assert.deepEqual(row.dunning_invoice_ids, ['in_1']);
    assert.equal(row.dunning_started_by, 'evt_fail_1');
    assert.deepEqual(
      run.after.mails.filter((m: { subject: string }) => /Payment failed/.test(m.subject)).length,
      1,
      'the owner got one mail',
    );
    assert.equal(h.smtp.mailsTo(`admin@${t.slug}.test`).length, 1, 'the admin got one mail');
  });

  it('addDunningInvoice: another unpaid invoice joins the dunning once', async () => {
    const run = await h.twice(
      a,
      'addDunningInvoice',
      { tenantId: t.tenantId, eventId: 'evt_fail_2', invoiceId: 'in_2', actor },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['billing.dunning_invoice_added']);
    assert.deepEqual(billingRow(run.after).dunning_invoice_ids, ['in_1', 'in_2']);
  });

  it('prepareBillingSuspension: an active tenant without a suspension gets the next number', async () => {
    const run = await h.twice(a, 'prepareBillingSuspension', { tenantId: t.tenantId, actor }, { tenant: t });
    assert.deepEqual(run.result, { start: true, number: 1 });
    assert.deepEqual(run.audit, []);
  });

  it('recordBillingSuspension: suspended for billing, recorded once', async () => {
    // What suspendTenant's first step does, as the billing workflow starts it.
    await h.run(tenantSuspension.createActivities(h.deps), 'blockTenant', {
      tenantId: t.tenantId,
      number: 1,
      reason: 'billing',
      actor,
    });
    const run = await h.twice(
      a,
      'recordBillingSuspension',
      { tenantId: t.tenantId, number: 1, skipped: null, actor },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['billing.tenant_suspended']);
    assert.equal(billingRow(run.after).standing, 'suspended');
    assert.equal(billingRow(run.after).suspension_number, 1);
    const again = await h.run(a, 'prepareBillingSuspension', { tenantId: t.tenantId, actor });
    assert.deepEqual(again.result, {
      start: false,
      reason: 'suspension 1 (billing) is in force already; billing does not add its own',
    });
  });

  it("prepareBillingReactivation: billing's own suspension may be lifted, an admin's never", async () => {
    const own = await h.twice(
      a,
      'prepareBillingReactivation',
      { tenantId: t.tenantId, number: 1, actor },
      { tenant: t },
    );
    assert.deepEqual(own.result, { start: true, number: 1 });
    const suspension = tenantSuspension.createActivities(h.deps);
    await h.run(suspension, 'unblockTenant', { tenantId: t.tenantId, number: 1, actor });
    const lifted = await h.run(a, 'prepareBillingReactivation', { tenantId: t.tenantId, number: 1, actor });
    assert.deepEqual(lifted.result, { start: false, reason: 'suspension 1 was lifted already' });
    // An admin's suspension, even one whose reason reads "billing".
    await h.run(suspension, 'blockTenant', { tenantId: t.tenantId, number: 2, reason: 'billing', actor: h.admin });
    const admins = await h.run(a, 'prepareBillingReactivation', { tenantId: t.tenantId, number: 2, actor });
    assert.deepEqual(admins.result, { start: false, reason: "suspension 2 is an admin's" });
    await h.run(suspension, 'unblockTenant', { tenantId: t.tenantId, number: 2, actor: h.admin });
  });

  it('endDunning: back in good standing, audited and emitted once', async () => {
    const run = await h.twice(
      a,
      'endDunning',
      { tenantId: t.tenantId, eventId: 'evt_paid_2', invoiceId: 'in_2', liftedSuspension: 1, actor },
      { tenant: t },
    );
    assert.deepEqual(run.audit, ['billing.dunning_ended']);
    assertOneEvent(newEvents(run.before, run.after), 'billing.dunning_ended', {
      tenantId: t.tenantId,
      slug: t.slug,
      invoiceId: 'in_2',
      liftedSuspension: 1,
    });
    assert.equal(billingRow(run.after).standing, 'in-good-standing');
  });

  it('followSubscription: the plan follows the price, the license is reissued and verifies', async () => {
    const run = await h.twice(
      a,
      'followSubscription',
      {
        tenantId: t.tenantId,
        slug: t.slug,
        eventId: 'evt_sub_1',
        subscriptionId: 'lsub_1',
        status: 'active',
        priceIds: ['enterprise'],
        deleted: false,
        actor,
      },
      { tenant: t },
    );
    assert.equal(run.result.plan, 'enterprise');
    assert.deepEqual(run.audit, ['billing.subscription_changed', 'tenant.plan_changed', 'tenant.license_issued']);
    assertOneEvent(newEvents(run.before, run.after), 'tenant.plan_changed', {
      tenantId: t.tenantId,
      slug: t.slug,
      from: 'team',
      to: 'enterprise',
      licenseId: run.result.licenseId!,
    });
    assert.equal(run.after.tenants[0].plan, 'enterprise');
    const [license] = run.after.tenant_licenses;
    const { payload } = await jwtVerify(
      (
        await h.database.query<{ token: string }>(`SELECT token FROM tenant_licenses WHERE tenant_id = $1`, [
          t.tenantId,
        ])
      )[0]!.token,
      createLocalJWKSet({ keys: [h.deps.license.publicJwk] }),
      { issuer: 'atrium', audience: 'atrium-license' },
    );
    assert.equal(license.tier, 'enterprise');
    assert.equal(payload.tier, 'enterprise');
  });

  it('followSubscription: a deleted subscription leaves the free plan', async () => {
    const run = await h.twice(
      a,
      'followSubscription',
      {
        tenantId: t.tenantId,
        slug: t.slug,
        eventId: 'evt_sub_2',
        subscriptionId: 'lsub_1',
        status: 'canceled',
        priceIds: ['enterprise'],
        deleted: true,
        actor,
      },
      { tenant: t },
    );
    assert.equal(run.result.plan, 'free');
    assert.deepEqual(run.audit, ['billing.subscription_changed', 'tenant.plan_changed', 'tenant.license_issued']);
    assert.equal(billingRow(run.after).subscription_status, 'canceled');
  });

  it("recordStripeEventOutcome: the inbox row's outcome, set once; another tenant's event is not found", async () => {
    const inbox = (eventId: string, tenantId: string) =>
      h.database.query(
        `INSERT INTO stripe_events (event_id, type, stripe_created_at, livemode, customer_id, tenant_id, payload)
         VALUES ($1, 'invoice.paid', now(), false, 'cus_1', $2, '{}')`,
        [eventId, tenantId],
      );
    await inbox('evt_inbox_1', t.tenantId);
    const run = await h.twice(
      a,
      'recordStripeEventOutcome',
      { tenantId: t.tenantId, eventId: 'evt_inbox_1', outcome: 'invoice-paid', actor },
      { tenant: t },
    );
    assert.deepEqual(run.result, { tenantStatus: 'active' });
    const row = run.after.stripe_events.find((e: { event_id: string }) => e.event_id === 'evt_inbox_1');
    assert.equal(row.outcome, 'invoice-paid');
    // Naming another tenant's event under this tenant reaches nothing (row-level security).
    await inbox('evt_inbox_bystander', h.bystander.tenantId);
    await h.run(a, 'recordStripeEventOutcome', {
      tenantId: t.tenantId,
      eventId: 'evt_inbox_bystander',
      outcome: 'invoice-paid',
      actor,
    });
    const [bystanders] = await h.database.query<{ outcome: string | null }>(
      `SELECT outcome FROM stripe_events WHERE event_id = 'evt_inbox_bystander'`,
    );
    assert.equal(bystanders?.outcome, null);
  });
});
