// The Stripe adapter (stripe-node). Each create passes the caller's idempotency key, so
// Stripe itself returns the first result to a retry. Plans map to Stripe price ids through
// configuration (STRIPE_PRICES). The client is built in select.ts (tests build their own
// to point it at stripe-mock and watch its requests).
import type Stripe from 'stripe';
import type { Billing, BillingSubscription, MeterHourSummary } from './port.ts';
import { BillingError } from './port.ts';

export interface StripeBillingOptions {
  stripe: Stripe;
  /** Stripe price id per plan. */
  prices: Record<string, string>;
  /** Names the target in error messages (`https://api.stripe.com`, a stripe-mock address). */
  target: string;
  /** STRIPE_METERS: the Stripe meter (its id, for read-backs) and event name per Atrium meter. */
  meters?: Record<string, StripeMeter>;
}

export interface StripeMeter {
  /** The Billing Meter's id (`mtr_…`): its event summaries are the read-back. */
  id: string;
  /** The meter's `event_name`: meter events are sent under it. */
  event: string;
}

export function createStripeBilling({ stripe, prices, target, meters = {} }: StripeBillingOptions): Billing {
  async function call<T>(
    what: string,
    fn: () => Promise<T>,
    options: { missingIsDone?: boolean } = {},
  ): Promise<T | null> {
    try {
      return await fn();
    } catch (error) {
      const mapped = toBillingError(error, what, target);
      if (options.missingIsDone && mapped.reason === 'not_found') return null;
      throw mapped;
    }
  }

  function priceOf(plan: string): string {
    const price = prices[plan];
    if (!price)
      throw new BillingError(
        'invalid',
        `No Stripe price is configured for plan "${plan}": add it to STRIPE_PRICES (e.g. {"${plan}":"price_…"}).`,
      );
    return price;
  }

  function meterOf(meter: string): StripeMeter {
    const found = meters[meter];
    if (!found)
      throw new BillingError(
        'invalid',
        `No Stripe meter is configured for "${meter}": add it to STRIPE_METERS (e.g. {"${meter}":{"id":"mtr_…","event":"…"}}).`,
      );
    return found;
  }

  function planOf(priceId: string): string | null {
    return Object.entries(prices).find(([, price]) => price === priceId)?.[0] ?? null;
  }

  return {
    kind: 'stripe',

    async ensureCustomer(input, idempotencyKey) {
      const customer = await call(`creating the customer of tenant ${input.slug}`, () =>
        stripe.customers.create(
          {
            email: input.email,
            name: input.name,
            metadata: { atrium_tenant_id: input.tenantId, atrium_tenant_slug: input.slug },
          },
          { idempotencyKey },
        ),
      );
      return { customerId: customer!.id };
    },

    async ensureSubscription(input, idempotencyKey): Promise<BillingSubscription> {
      const price = priceOf(input.plan);
      const subscription = await call(`subscribing customer ${input.customerId} to plan ${input.plan}`, () =>
        stripe.subscriptions.create(
          {
            customer: input.customerId,
            items: [{ price }],
            metadata: { atrium_tenant_id: input.tenantId, atrium_plan: input.plan },
          },
          { idempotencyKey },
        ),
      );
      return { subscriptionId: subscription!.id, status: subscription!.status, plan: input.plan };
    },

    async describeSubscription(input) {
      const subscription = await call(`reading subscription ${input.subscriptionId}`, () =>
        stripe.subscriptions.retrieve(input.subscriptionId),
      );
      // Since API version 2025-03-31 the billing period lives on each item, not the subscription.
      const item = subscription!.items.data[0];
      return {
        subscriptionId: subscription!.id,
        status: subscription!.status,
        plan: item ? (planOf(item.price.id) ?? null) : null,
        currentPeriodEnd: item?.current_period_end ? new Date(item.current_period_end * 1000) : null,
      };
    },

    async changeSubscriptionPlan(input, idempotencyKey): Promise<BillingSubscription> {
      const price = priceOf(input.plan);
      const current = await call(`reading subscription ${input.subscriptionId}`, () =>
        stripe.subscriptions.retrieve(input.subscriptionId),
      );
      const item = current!.items.data[0];
      const updated = await call(`moving subscription ${input.subscriptionId} to plan ${input.plan}`, () =>
        stripe.subscriptions.update(
          input.subscriptionId,
          {
            // Replacing the item's price keeps one item; a new item would bill both plans.
            items: [item ? { id: item.id, price } : { price }],
            proration_behavior: input.prorate ? 'create_prorations' : 'none',
            metadata: { atrium_tenant_id: input.tenantId, atrium_plan: input.plan },
          },
          { idempotencyKey },
        ),
      );
      return { subscriptionId: updated!.id, status: updated!.status, plan: input.plan };
    },

    async cancelSubscription(input, idempotencyKey) {
      const canceled = await call(
        `cancelling subscription ${input.subscriptionId}`,
        () => stripe.subscriptions.cancel(input.subscriptionId, {}, { idempotencyKey }),
        { missingIsDone: true },
      );
      return canceled
        ? { subscriptionId: canceled.id, found: true, status: canceled.status }
        : { subscriptionId: input.subscriptionId, found: false, status: null };
    },

    async deleteCustomer(input, idempotencyKey) {
      const deleted = await call(
        `deleting customer ${input.customerId}`,
        () => stripe.customers.del(input.customerId, {}, { idempotencyKey }),
        { missingIsDone: true },
      );
      return deleted
        ? { customerId: deleted.id, found: true, deleted: deleted.deleted }
        : { customerId: input.customerId, found: false, deleted: true };
    },

    planOfPrice: planOf,

    billedMeters: () => Object.keys(meters),

    async reportMeterEvent(input) {
      const { event } = meterOf(input.meter);
      await call(`reporting ${input.value} ${input.meter} for customer ${input.customerId} (${input.identifier})`, () =>
        stripe.billing.meterEvents.create(
          {
            event_name: event,
            identifier: input.identifier,
            timestamp: Math.floor(input.timestamp.getTime() / 1000),
            payload: { stripe_customer_id: input.customerId, value: input.value },
          },
          // The identifier is the event's own deduplication; the idempotency key makes a retried
          // request return the first answer instead of an "identifier already used" error.
          { idempotencyKey: input.identifier },
        ),
      );
    },

    async cancelMeterEvent(input) {
      const { event } = meterOf(input.meter);
      await call(`cancelling meter event ${input.identifier}`, () =>
        stripe.billing.meterEventAdjustments.create(
          { event_name: event, type: 'cancel', cancel: { identifier: input.identifier } },
          { idempotencyKey: `cancel:${input.identifier}` },
        ),
      );
    },

    async meterEventSummaries(input) {
      const { id } = meterOf(input.meter);
      const summaries: MeterHourSummary[] = [];
      await call(`reading what Stripe counted of ${input.meter} for customer ${input.customerId}`, async () => {
        const list = stripe.billing.meters.listEventSummaries(id, {
          customer: input.customerId,
          start_time: Math.floor(input.start.getTime() / 1000),
          end_time: Math.floor(input.end.getTime() / 1000),
          value_grouping_window: 'hour',
          limit: 100,
        });
        for await (const summary of list)
          if (summary.aggregated_value !== 0)
            summaries.push({ start: new Date(summary.start_time * 1000), value: summary.aggregated_value });
      });
      return summaries;
    },

    async listInvoices(input) {
      const page = await call(`listing the invoices of customer ${input.customerId}`, () =>
        stripe.invoices.list({ customer: input.customerId, limit: input.limit }),
      );
      const at = (seconds: number) => new Date(seconds * 1000);
      return {
        invoices: page!.data.map((invoice) => ({
          id: invoice.id ?? '',
          number: invoice.number ?? null,
          status: invoice.status ?? null,
          currency: invoice.currency,
          amountDue: invoice.amount_due,
          amountPaid: invoice.amount_paid,
          periodStart: at(invoice.period_start),
          periodEnd: at(invoice.period_end),
          created: at(invoice.created),
          hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
          invoicePdfUrl: invoice.invoice_pdf ?? null,
        })),
        hasMore: page!.has_more,
      };
    },

    async verify() {
      await call('checking the API key', () => stripe.customers.list({ limit: 1 }));
    },
  };
}

function toBillingError(error: unknown, what: string, target: string): BillingError {
  const stripeError = error as { type?: string; code?: string; statusCode?: number; message?: string };
  const detail = stripeError.message ?? String(error);
  const at = `Stripe (${target})`;
  switch (stripeError.type) {
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new BillingError('unauthorized', `${at} refused the key while ${what}: check STRIPE_SECRET_KEY.`, {
        cause: error,
      });
    case 'StripeConnectionError':
      return new BillingError('unreachable', `${at} could not be reached while ${what}: ${detail}`, { cause: error });
    case 'StripeRateLimitError':
      return new BillingError('rate_limited', `${at} rate-limited ${what}; retry later.`, { cause: error });
    case 'StripeInvalidRequestError':
      if (stripeError.code === 'resource_missing' || stripeError.statusCode === 404)
        return new BillingError('not_found', `${at}: nothing found while ${what}: ${detail}`, { cause: error });
      return new BillingError('invalid', `${at} rejected ${what}: ${detail}`, { cause: error });
    case 'StripeIdempotencyError':
      return new BillingError(
        'invalid',
        `${at} refused ${what}: its idempotency key was used before with other parameters (${detail}).`,
        { cause: error },
      );
    default:
      return new BillingError('failed', `${at} failed while ${what}: ${detail}`, { cause: error });
  }
}
