// @needs-servers: stripe
// Stripe's webhook events through the whole platform. Tenants are provisioned against
// stripe-mock (their Stripe customers are made there and recorded by the billing step); the
// test signs each event with the endpoint secret using the stripe library's test-header helper
// and POSTs it to the real route; mail goes to a real SMTP capture. With a 3 s dunning grace:
// a payment failure posted twice is acted on once (one inbox row, one audit entry, one mail
// per owner and admin), even when the route hands it over again; a bad or missing signature is
// a 400 and stores nothing; dunning suspends the tenant exactly as the admin console would
// (`tenant-suspend/<slug>/<n>`, reason "billing") and `invoice.paid` reactivates it; an admin's
// suspension is not lifted by `invoice.paid`; events that arrive out of order or twice change
// nothing they should not; the subscription's price moves the plan and reissues the license.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import Stripe from 'stripe';
import { TenantBilling } from '../../contracts/billing.ts';
import { TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { tenantBillingWorkflowId } from '../../workflows/billing/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { workerEnvFor } from '../support/servers.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { waitFor } from '../support/wait-for.ts';

const SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const GRACE_MS = 3_000;

interface TestTenant {
  id: string;
  slug: string;
  customerId: string;
  owner: TestUser;
  admin: TestUser;
}

let sequence = 0;
/** A Stripe event as Stripe sends it (the fields Atrium reads, and the envelope's). */
function stripeEvent(type: string, object: Record<string, unknown>, options: { created?: number; id?: string } = {}) {
  sequence += 1;
  return {
    id: options.id ?? `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: '2026-08-26.dahlia',
    created: options.created ?? Math.floor(Date.now() / 1000) + sequence,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

function invoice(tenant: TestTenant, id: string, status: string) {
  return { id, object: 'invoice', customer: tenant.customerId, status, amount_due: 4900, currency: 'eur' };
}

function subscription(tenant: TestTenant, id: string, status: string, price: string) {
  return {
    id,
    object: 'subscription',
    customer: tenant.customerId,
    status,
    items: { object: 'list', data: [{ id: `si_${id}`, object: 'subscription_item', price: { id: price } }] },
  };
}

describe('Stripe webhooks (stripe-mock, SMTP capture)', () => {
  let platform: Platform;
  let smtp: SmtpCapture;

  /** POSTs the event to the real route, signed as Stripe signs it (or with the given header). */
  function post(event: unknown, options: { signature?: string | null; secret?: string; body?: string } = {}) {
    const payload = options.body ?? JSON.stringify(event);
    const signature =
      options.signature === undefined
        ? Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET })
        : options.signature;
    return request(platform.baseUrl, 'POST', '/api/v1/webhooks/stripe', {
      body: payload,
      headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    });
  }

  async function provision(prefix: string): Promise<TestTenant> {
    const slug = uniqueSlug(prefix);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan: 'team', ownerEmail: `invited@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const operation = await waitForOperation(platform, created.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const id = created.body.tenant.id as string;
    const [resources] = await platform.database.query<{ billing_customer_id: string }>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [id],
    );
    assert.match(resources?.billing_customer_id ?? '', /^cus_/, 'stripe-mock made the customer');
    const member = async (email: string, role: string) => {
      const user = await seedUser(platform.database, { email });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        id,
        user.userId,
        role,
      ]);
      return user;
    };
    return {
      id,
      slug,
      customerId: resources!.billing_customer_id,
      owner: await member(`owner@${slug}.test`, 'owner'),
      admin: await member(`admin@${slug}.test`, 'admin'),
    };
  }

  const auditActions = async (tenant: TestTenant, prefix = 'billing.') =>
    (
      await platform.database.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE $2 ORDER BY id`,
        [tenant.id, `${prefix}%`],
      )
    ).map((row) => row.action);

  const standing = async (tenant: TestTenant) => {
    const answer = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/billing`, {
      headers: platform.admin.headers,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return TenantBilling.parse(answer.body);
  };

  const outcomeOf = (eventId: string) =>
    waitFor(`the outcome of ${eventId}`, async () => {
      const [row] = await platform.database.query<{ outcome: string | null }>(
        `SELECT outcome FROM stripe_events WHERE event_id = $1`,
        [eventId],
      );
      return row?.outcome ?? undefined;
    });

  const tenantStatus = async (tenant: TestTenant) =>
    (await platform.database.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenant.id]))[0]
      ?.status;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: {
        SMTP_URL: smtp.url,
        STRIPE_WEBHOOK_SECRET: SECRET,
        BILLING_DUNNING_GRACE_PERIOD: `${GRACE_MS}ms`,
        WEBHOOK_DISPATCHER: 'off',
      },
      workerEnv: workerEnvFor({ stripe: true }),
    });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  it('refuses a bad or missing signature with a 400 naming Stripe-Signature, and stores nothing', async () => {
    const event = stripeEvent('invoice.payment_failed', {
      id: 'in_unsigned',
      object: 'invoice',
      customer: 'cus_x',
      status: 'open',
    });
    const wrongSecret = await post(event, { secret: `whsec_${randomBytes(24).toString('hex')}` });
    const missing = await post(event, { signature: null });
    const garbage = await post(event, { signature: 't=1,v1=deadbeef' });
    const tampered = await post(event, {
      signature: Stripe.webhooks.generateTestHeaderString({ payload: JSON.stringify(event), secret: SECRET }),
      body: JSON.stringify({ ...event, type: 'invoice.paid' }),
    });
    for (const [what, answer] of Object.entries({ wrongSecret, missing, garbage, tampered })) {
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/, what);
      assert.equal(answer.body.errors?.[0]?.path, 'Stripe-Signature', what);
    }
    const [stored] = await platform.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM stripe_events`);
    assert.equal(stored?.n, 0, 'nothing was stored');
  });

  describe('dunning', () => {
    let tenant: TestTenant;
    const failed = () => stripeEvent('invoice.payment_failed', invoice(tenant, 'in_dunning_1', 'open'));
    let failure: ReturnType<typeof failed>;

    before(async () => {
      tenant = await provision('dun');
      failure = failed();
    });

    it('acts once on a signed invoice.payment_failed posted twice, even when handed over twice', async () => {
      const first = await post(failure);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, {
        received: true,
        eventId: failure.id,
        duplicate: false,
        handedOverTo: tenantBillingWorkflowId(tenant.slug),
      });
      // Stripe's retry: the same event, signed again.
      const again = await post(failure);
      assert.equal(again.status, 200);
      assert.equal(again.body.duplicate, true);
      assert.equal(await outcomeOf(failure.id), 'dunning-started');

      // A hand-over repeated (an API that stopped between the signal and its commit): the
      // workflow drops what it acted on.
      await platform.database.query(`UPDATE stripe_events SET handed_over_at = NULL WHERE event_id = $1`, [failure.id]);
      const handedAgain = await post(failure);
      assert.equal(handedAgain.body.handedOverTo, tenantBillingWorkflowId(tenant.slug));

      const owner = await smtp.waitForMail((mail) => mail.to.includes(tenant.owner.email));
      assert.match(owner.subject, /Payment failed/);
      assert.match(owner.text, /in_dunning_1/);
      await smtp.waitForMail((mail) => mail.to.includes(tenant.admin.email));
      const billing = await standing(tenant);
      assert.equal(billing.standing, 'dunning');
      assert.deepEqual(billing.dunning?.invoiceIds, ['in_dunning_1']);
      assert.deepEqual(
        [...(billing.dunning?.recipients ?? [])].sort(),
        [tenant.admin.email, tenant.owner.email].sort(),
      );

      const [rows] = await platform.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM stripe_events WHERE event_id = $1`,
        [failure.id],
      );
      assert.equal(rows?.n, 1, 'stored once');
      const history = await platform.temporal.workflow.getHandle(tenantBillingWorkflowId(tenant.slug)).fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
      assert.equal(signals.length, 2, 'handed over twice: the first time and after the reset');
      assert.deepEqual(
        (await auditActions(tenant)).filter((a) => a.startsWith('billing.dunning')),
        ['billing.dunning_started', 'billing.dunning_mailed'],
        'audited once',
      );
      assert.equal(smtp.mailsTo(tenant.owner.email).length, 1, 'one mail to the owner');
      assert.equal(smtp.mailsTo(tenant.admin.email).length, 1, 'one mail to the admin');
      const [outbox] = await platform.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM event_outbox WHERE tenant_id = $1 AND type = 'billing.dunning_started'`,
        [tenant.id],
      );
      assert.equal(outbox?.n, 1, 'one billing.dunning_started event');
    });

    it('suspends after the grace period as the admin console would, with the reason "billing"', async () => {
      await waitFor('the billing suspension', async () => (await tenantStatus(tenant)) === 'suspended', 30_000);
      const suspend = await platform.temporal.workflow.getHandle(`tenant-suspend/${tenant.slug}/1`).describe();
      assert.equal(suspend.typedSearchAttributes.get(TenantIdSearchAttribute), tenant.id);
      assert.equal(suspend.taskQueue, `${platform.taskQueue}-tenant-suspension`);
      await waitFor('the suspension to complete', async () => {
        const status = (await platform.temporal.workflow.getHandle(`tenant-suspend/${tenant.slug}/1`).describe()).status
          .name;
        return status === 'COMPLETED';
      });
      const [suspension] = await platform.database.query<{ reason: string; requested_by: string | null }>(
        `SELECT reason, requested_by FROM tenant_suspensions WHERE tenant_id = $1 AND number = 1`,
        [tenant.id],
      );
      assert.deepEqual(suspension, { reason: 'billing', requested_by: null });
      const billing = await waitFor('the standing to say suspended', async () => {
        const now = await standing(tenant);
        return now.standing === 'suspended' ? now : undefined;
      });
      assert.deepEqual(billing.billingSuspension, { number: 1, reason: 'billing' });
      assert.deepEqual(billing.openSuspension, { number: 1, reason: 'billing', byBilling: true });
      // Members are refused with the reason, as for any suspension.
      const refused = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}`, {
        headers: tenant.owner.headers,
      });
      assert.equal(refused.status, 403);
    });

    it('lifts its own suspension when the invoice is paid, and a repeat of the payment does nothing', async () => {
      const paid = stripeEvent('invoice.paid', invoice(tenant, 'in_dunning_1', 'paid'));
      assert.equal((await post(paid)).status, 200);
      assert.equal(await outcomeOf(paid.id), 'dunning-ended');
      await waitFor('reactivation', async () => (await tenantStatus(tenant)) === 'active', 30_000);
      const reactivate = await platform.temporal.workflow.getHandle(`tenant-reactivate/${tenant.slug}/1`).describe();
      assert.equal(reactivate.typedSearchAttributes.get(TenantIdSearchAttribute), tenant.id);
      const billing = await standing(tenant);
      assert.equal(billing.standing, 'in-good-standing');
      assert.equal(billing.openSuspension, null);

      // The old failure again, after the payment (a late retry): old news.
      const late = stripeEvent('invoice.payment_failed', invoice(tenant, 'in_dunning_1', 'open'));
      await post(late);
      assert.equal(await outcomeOf(late.id), 'stale');
      assert.equal((await post(paid)).body.duplicate, true);
      assert.deepEqual(await auditActions(tenant), [
        'billing.dunning_started',
        'billing.dunning_mailed',
        'billing.tenant_suspended',
        'billing.dunning_ended',
      ]);
      assert.equal((await standing(tenant)).standing, 'in-good-standing');
      await recordHistory(platform.temporal, tenantBillingWorkflowId(tenant.slug), 'tenant-billing-dunning-lifted');
    });
  });

  it("never lifts an admin's suspension when the invoice is paid", async () => {
    const tenant = await provision('adm');
    const suspended = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/suspend`, {
      headers: platform.admin.headers,
      json: { reason: 'abuse report under review' },
    });
    assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
    await waitForOperation(platform, suspended.body.operation.id);

    const failure = stripeEvent('invoice.payment_failed', invoice(tenant, 'in_admin_1', 'open'));
    await post(failure);
    assert.equal(await outcomeOf(failure.id), 'dunning-started');
    const skipped = await waitFor(
      'the grace period to run out',
      async () => (await standing(tenant)).suspensionSkipped ?? undefined,
      30_000,
    );
    assert.match(skipped, /suspension 1 \(abuse report under review\) is in force already/);

    const paid = stripeEvent('invoice.paid', invoice(tenant, 'in_admin_1', 'paid'));
    await post(paid);
    assert.equal(await outcomeOf(paid.id), 'dunning-ended');
    const billing = await standing(tenant);
    assert.equal(billing.standing, 'in-good-standing');
    assert.deepEqual(billing.openSuspension, { number: 1, reason: 'abuse report under review', byBilling: false });
    assert.equal(await tenantStatus(tenant), 'suspended', "the admin's suspension holds");
    await assert.rejects(
      platform.temporal.workflow.getHandle(`tenant-reactivate/${tenant.slug}/1`).describe(),
      /not found/i,
      'no reactivation was started',
    );
    await recordHistory(
      platform.temporal,
      tenantBillingWorkflowId(tenant.slug),
      'tenant-billing-admin-suspension-kept',
    );
  });

  it('handles events out of order and repeated: a payment before its failure, an older subscription update, a deletion', async () => {
    const tenant = await provision('ooo');
    // The payment arrives before the failure it ends: no dunning at all.
    const paid = stripeEvent('invoice.paid', invoice(tenant, 'in_ooo_1', 'paid'));
    const failed = stripeEvent('invoice.payment_failed', invoice(tenant, 'in_ooo_1', 'open'), {
      created: paid.created - 60,
    });
    await post(paid);
    await post(failed);
    assert.equal(await outcomeOf(paid.id), 'invoice-paid');
    assert.equal(await outcomeOf(failed.id), 'stale');
    assert.equal((await standing(tenant)).standing, 'in-good-standing');
    assert.equal(smtp.mailsTo(tenant.owner.email).length, 0, 'nobody was mailed');

    // The subscription moves to enterprise; an older update (to free) arriving late is skipped.
    const upgraded = stripeEvent(
      'customer.subscription.updated',
      subscription(tenant, 'sub_ooo', 'active', 'price_enterprise'),
    );
    const older = stripeEvent(
      'customer.subscription.updated',
      subscription(tenant, 'sub_ooo', 'active', 'price_free'),
      {
        created: upgraded.created - 30,
      },
    );
    await post(upgraded);
    await post(older);
    await post(upgraded);
    assert.equal(await outcomeOf(upgraded.id), 'subscription-followed');
    assert.equal(await outcomeOf(older.id), 'stale');
    const [row] = await platform.database.query<{ plan: string }>(`SELECT plan FROM tenants WHERE id = $1`, [
      tenant.id,
    ]);
    assert.equal(row?.plan, 'enterprise');
    const [license] = await platform.database.query<{ token: string }>(
      `SELECT token FROM tenant_licenses WHERE tenant_id = $1`,
      [tenant.id],
    );
    const jwks = await request(platform.baseUrl, 'GET', '/api/v1/license/jwks');
    const { payload } = await jwtVerify(license!.token, createLocalJWKSet(jwks.body), {
      issuer: 'atrium',
      audience: 'atrium-license',
    });
    assert.equal(payload.tier, 'enterprise', 'the license was reissued for the new plan and verifies');
    assert.deepEqual(await auditActions(tenant, 'tenant.plan_changed'), ['tenant.plan_changed']);

    // Deleted: the tenant falls back to the free plan; an update after the deletion changes nothing.
    const deleted = stripeEvent(
      'customer.subscription.deleted',
      subscription(tenant, 'sub_ooo', 'canceled', 'price_enterprise'),
    );
    const afterDeletion = stripeEvent(
      'customer.subscription.updated',
      subscription(tenant, 'sub_ooo', 'active', 'price_team'),
    );
    await post(deleted);
    await post(afterDeletion);
    assert.equal(await outcomeOf(deleted.id), 'subscription-followed');
    assert.equal(await outcomeOf(afterDeletion.id), 'stale');
    const [after] = await platform.database.query<{ plan: string }>(`SELECT plan FROM tenants WHERE id = $1`, [
      tenant.id,
    ]);
    assert.equal(after?.plan, 'free');
    const billing = await standing(tenant);
    assert.deepEqual(billing.subscription, { id: 'sub_ooo', status: 'canceled' });
    const [events] = await platform.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM event_outbox WHERE tenant_id = $1 AND type = 'tenant.plan_changed'`,
      [tenant.id],
    );
    assert.equal(events?.n, 2, 'team → enterprise → free');
    await recordHistory(
      platform.temporal,
      tenantBillingWorkflowId(tenant.slug),
      'tenant-billing-subscription-followed',
    );
  });

  it('stores an event of an unknown customer, or of a type Atrium ignores, without acting on it', async () => {
    const stranger = stripeEvent('invoice.payment_failed', {
      id: 'in_stranger',
      object: 'invoice',
      customer: 'cus_nobody',
      status: 'open',
    });
    const answer = await post(stranger);
    assert.deepEqual(answer.body, { received: true, eventId: stranger.id, duplicate: false, handedOverTo: null });
    const [row] = await platform.database.query<{ tenant_id: string | null; handed_over_at: Date | null }>(
      `SELECT tenant_id, handed_over_at FROM stripe_events WHERE event_id = $1`,
      [stranger.id],
    );
    assert.deepEqual(row, { tenant_id: null, handed_over_at: null });
  });
});
