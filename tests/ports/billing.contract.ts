// What every billing adapter must do. Each adapter's test file calls `billingContract`
// with a way to build the adapter against its real backend.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Billing } from '../../integrations/billing/port.ts';
import { BillingError } from '../../integrations/billing/port.ts';

export interface BillingUnderTest {
  billing: Billing;
  /**
   * A stateless backend (stripe-mock) answers every create with a fixture: it cannot show
   * that a repeat returned the same object. Such adapters say so, and the contract checks
   * instead that the same idempotency key was sent.
   */
  stateful: boolean;
  /** Idempotency keys the backend received, in order (stateless backends only). */
  sentKeys?: () => string[];
  stop(): Promise<void>;
}

export function billingContract(name: string, start: () => Promise<BillingUnderTest>): void {
  describe(`billing port contract: ${name}`, () => {
    let subject: BillingUnderTest;
    let billing: Billing;
    before(async () => {
      subject = await start();
      billing = subject.billing;
    });
    after(async () => {
      await subject.stop();
    });

    const tenant = () => ({
      tenantId: randomUUID(),
      slug: `acme-${randomUUID().slice(0, 6)}`,
      name: 'Acme',
      email: 'billing@acme.test',
    });

    test('verify() succeeds with a working key', async () => {
      await billing.verify();
    });

    test('creates a customer and a subscription on a plan', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/billing-customer`);
      assert.match(customerId, /\w+/);
      const subscription = await billing.ensureSubscription(
        { tenantId: t.tenantId, customerId, plan: 'team' },
        `tenant/${t.tenantId}/billing-subscription`,
      );
      assert.match(subscription.subscriptionId, /\w+/);
      assert.equal(subscription.plan, 'team');
      assert.ok(subscription.status.length > 0);
    });

    test('a repeat with the same idempotency key does not create a second customer', async () => {
      const t = tenant();
      const key = `tenant/${t.tenantId}/billing-customer`;
      const first = await billing.ensureCustomer(t, key);
      const second = await billing.ensureCustomer(t, key);
      if (subject.stateful) {
        assert.equal(second.customerId, first.customerId);
        const other = await billing.ensureCustomer(t, `${key}/other`);
        assert.notEqual(other.customerId, first.customerId, 'a different key is a different customer');
      } else {
        const keys = subject.sentKeys!();
        assert.deepEqual(keys.slice(-2), [key, key], 'both requests carried the same key');
      }
    });

    test('cancelling and deleting succeed, also when repeated', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/c`);
      const { subscriptionId } = await billing.ensureSubscription(
        { tenantId: t.tenantId, customerId, plan: 'team' },
        `tenant/${t.tenantId}/s`,
      );
      await billing.cancelSubscription({ tenantId: t.tenantId, subscriptionId }, `tenant/${t.tenantId}/cancel`);
      await billing.cancelSubscription({ tenantId: t.tenantId, subscriptionId }, `tenant/${t.tenantId}/cancel`);
      await billing.deleteCustomer({ tenantId: t.tenantId, customerId }, `tenant/${t.tenantId}/delete`);
      await billing.deleteCustomer({ tenantId: t.tenantId, customerId }, `tenant/${t.tenantId}/delete`);
    });

    test('a plan without a price or an unknown plan is a non-retryable error naming the plan', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/c`);
      const error = await billing
        .ensureSubscription({ tenantId: t.tenantId, customerId, plan: 'platinum' }, `tenant/${t.tenantId}/s`)
        .catch((e: unknown) => e);
      assert.ok(error instanceof BillingError, String(error));
      assert.equal(error.reason, 'invalid');
      assert.equal(error.retryable, false);
      assert.match(error.message, /platinum/);
    });

    test('a subscription moves to another plan’s price and says when its billing period ends', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/c3`);
      const { subscriptionId } = await billing.ensureSubscription(
        { tenantId: t.tenantId, customerId, plan: 'team' },
        `tenant/${t.tenantId}/s3`,
      );
      const before = await billing.describeSubscription({ tenantId: t.tenantId, subscriptionId });
      assert.equal(before.subscriptionId, subscriptionId);
      assert.ok(before.currentPeriodEnd instanceof Date, 'the period end is known');
      const key = `tenant-plan/${t.slug}/1/subscription`;
      const changed = await billing.changeSubscriptionPlan(
        { tenantId: t.tenantId, subscriptionId, plan: 'enterprise', prorate: true },
        key,
      );
      assert.equal(changed.plan, 'enterprise');
      await billing.changeSubscriptionPlan(
        { tenantId: t.tenantId, subscriptionId, plan: 'enterprise', prorate: true },
        key,
      );
      if (subject.stateful) {
        const after = await billing.describeSubscription({ tenantId: t.tenantId, subscriptionId });
        assert.equal(after.plan, 'enterprise');
        assert.ok(after.currentPeriodEnd! > new Date(), 'the period ends in the future');
      } else {
        assert.deepEqual(subject.sentKeys!().slice(-2), [key, key], 'both changes carried the same key');
      }
      const refused = await billing
        .changeSubscriptionPlan({ tenantId: t.tenantId, subscriptionId, plan: 'platinum', prorate: false }, `${key}/x`)
        .catch((e: unknown) => e);
      assert.ok(refused instanceof BillingError && !refused.retryable && /platinum/.test(refused.message));
    });

    test('a subscription’s price names the plan it stands for; a price Atrium does not sell names none', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/c2`);
      await billing.ensureSubscription({ tenantId: t.tenantId, customerId, plan: 'team' }, `tenant/${t.tenantId}/s2`);
      const teamPrice = billing.kind === 'stripe' ? 'price_team' : 'team';
      assert.equal(billing.planOfPrice(teamPrice), 'team');
      assert.equal(billing.planOfPrice('price_unknown'), null);
    });

    test('meter events: an identifier counts once, a cancellation takes it back, summaries are per hour', async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/meter-customer`);
      assert.ok(billing.billedMeters().includes('compute.seconds'));
      const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
      const event = { tenantId: t.tenantId, customerId, meter: 'compute.seconds', timestamp: hour };
      const first = `atr:${t.tenantId}:compute.seconds:${hour.getTime() / 1000}:1`;
      const second = `atr:${t.tenantId}:compute.seconds:${hour.getTime() / 1000}:2`;
      await billing.reportMeterEvent({ ...event, identifier: first, value: '2.5' });
      await billing.reportMeterEvent({ ...event, identifier: first, value: '2.5' });
      await billing.reportMeterEvent({ ...event, identifier: second, value: '1' });
      const range = {
        tenantId: t.tenantId,
        customerId,
        meter: 'compute.seconds',
        start: hour,
        end: new Date(hour.getTime() + 7_200_000),
      };
      const counted = await billing.meterEventSummaries(range);
      await billing.cancelMeterEvent({ tenantId: t.tenantId, meter: 'compute.seconds', identifier: first });
      const afterCancel = await billing.meterEventSummaries(range);
      if (subject.stateful) {
        assert.deepEqual(counted, [{ start: hour, value: 3.5 }]);
        assert.deepEqual(afterCancel, [{ start: hour, value: 1 }]);
      } else {
        // stripe-mock answers fixtures: the requests were valid, and a repeat carried the same key.
        assert.ok(Array.isArray(counted) && Array.isArray(afterCancel));
        assert.deepEqual(
          subject.sentKeys!().slice(-4),
          [first, first, second, `cancel:${first}`],
          'each event carried its identifier as the idempotency key',
        );
      }
    });

    test("lists a customer's invoices, newest first, read-only", async () => {
      const t = tenant();
      const { customerId } = await billing.ensureCustomer(t, `tenant/${t.tenantId}/billing-customer`);
      const page = await billing.listInvoices({ tenantId: t.tenantId, customerId, limit: 5 });
      assert.equal(typeof page.hasMore, 'boolean');
      assert.ok(page.invoices.length <= 5);
      if (billing.kind === 'local') assert.deepEqual(page, { invoices: [], hasMore: false });
      for (const invoice of page.invoices) {
        assert.match(invoice.id, /\w+/);
        assert.match(invoice.currency, /^[a-z]{3}$/);
        assert.ok(Number.isInteger(invoice.amountDue) && Number.isInteger(invoice.amountPaid));
        assert.ok(invoice.created instanceof Date && !Number.isNaN(invoice.created.getTime()));
        assert.ok(invoice.periodStart.getTime() <= invoice.periodEnd.getTime());
      }
    });
  });
}
