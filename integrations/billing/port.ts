// The billing port: a tenant's billing customer and its subscription to a plan. Adapters:
// stripe.ts (Stripe, or stripe-mock in tests) and local.ts (the embedded default: no
// payments, records kept in Atrium's PostgreSQL). Every call that creates or changes
// something takes an idempotency key from the caller, derived from the tenant and the
// workflow step, so a retried activity never creates a second customer or subscription.

export interface BillingCustomerInput {
  tenantId: string;
  slug: string;
  name: string;
  email: string;
}

export interface BillingSubscription {
  subscriptionId: string;
  status: string;
  plan: string;
}

export interface BillingSubscriptionPeriod {
  subscriptionId: string;
  status: string;
  /** The plan its price stands for; null for a price Atrium does not sell. */
  plan: string | null;
  /** When the current billing period ends; null when the provider does not say. */
  currentPeriodEnd: Date | null;
}

/** What the provider answered to a cancellation: the evidence a teardown report keeps. */
export interface BillingCancellation {
  subscriptionId: string;
  /** False when the provider no longer had it (cancelled or deleted before). */
  found: boolean;
  /** The status the provider reported after cancelling (`canceled`), null when not found. */
  status: string | null;
}

/** What the provider answered to a customer deletion. */
export interface BillingDeletion {
  /** The id in the provider's answer. */
  customerId: string;
  found: boolean;
  /** The provider's `deleted` flag (true when not found: nothing is left). */
  deleted: boolean;
}

/** One invoice as the provider has it (amounts in the currency's smallest unit). */
export interface BillingInvoice {
  id: string;
  number: string | null;
  /** Stripe's: draft, open, paid, uncollectible, void (and whatever it adds later). */
  status: string | null;
  currency: string;
  amountDue: number;
  amountPaid: number;
  periodStart: Date;
  periodEnd: Date;
  created: Date;
  hostedInvoiceUrl: string | null;
  invoicePdfUrl: string | null;
}

export interface Billing {
  readonly kind: 'stripe' | 'local';
  /** Creates the tenant's customer (the same key returns the same customer). */
  ensureCustomer(input: BillingCustomerInput, idempotencyKey: string): Promise<{ customerId: string }>;
  /** Subscribes the customer to the plan's price (the same key returns the same subscription). */
  ensureSubscription(
    input: { tenantId: string; customerId: string; plan: string },
    idempotencyKey: string,
  ): Promise<BillingSubscription>;
  /** The subscription's status, plan and the end of its current billing period (a scheduled downgrade waits for it). */
  describeSubscription(input: { tenantId: string; subscriptionId: string }): Promise<BillingSubscriptionPeriod>;
  /**
   * Moves the subscription to the plan's price. `prorate`: charge or credit the difference for
   * the rest of the period now (an upgrade, an immediate downgrade); otherwise the new price
   * starts with the next period. The same key returns the first answer.
   */
  changeSubscriptionPlan(
    input: { tenantId: string; subscriptionId: string; plan: string; prorate: boolean },
    idempotencyKey: string,
  ): Promise<BillingSubscription>;
  /** Cancels at once; cancelling what is already gone succeeds (found: false). */
  cancelSubscription(
    input: { tenantId: string; subscriptionId: string },
    idempotencyKey: string,
  ): Promise<BillingCancellation>;
  /** Deletes the customer; deleting what is already gone succeeds (found: false). */
  deleteCustomer(input: { tenantId: string; customerId: string }, idempotencyKey: string): Promise<BillingDeletion>;
  /**
   * The plan a price of the provider stands for (a subscription's items name prices); null for
   * a price Atrium does not sell. Stripe: STRIPE_PRICES read backwards; local: the plan's name.
   */
  planOfPrice(priceId: string): string | null;
  /**
   * The customer's invoices, newest first, at most `limit` (1–100); `hasMore` when older ones
   * exist. Read-only. Local billing sends no invoices: always an empty list.
   */
  listInvoices(input: {
    tenantId: string;
    customerId: string;
    limit: number;
  }): Promise<{ invoices: BillingInvoice[]; hasMore: boolean }>;
  /** Checks that the billing provider answers and accepts Atrium's key (readiness). */
  verify(): Promise<void>;
  /** The Atrium meters this provider bills (STRIPE_METERS for Stripe; every meter locally). */
  billedMeters(): readonly string[];
  /**
   * Reports one meter event: `value` (a decimal string) of `meter` for the customer at
   * `timestamp`. The identifier makes a repeat a no-op at the provider (Stripe deduplicates
   * identifiers for about a day; the caller's own record covers the rest). An event older than
   * the provider accepts is BillingError 'invalid'.
   */
  reportMeterEvent(input: MeterEventInput): Promise<void>;
  /** Cancels a reported meter event by its identifier (Stripe's only correction of an overcount). */
  cancelMeterEvent(input: { tenantId: string; meter: string; identifier: string }): Promise<void>;
  /** What the provider counted for the customer and meter, per hour in [start, end). Hours with nothing are left out. */
  meterEventSummaries(input: {
    tenantId: string;
    customerId: string;
    meter: string;
    start: Date;
    end: Date;
  }): Promise<MeterHourSummary[]>;
}

export interface MeterEventInput {
  tenantId: string;
  customerId: string;
  meter: string;
  identifier: string;
  /** A positive decimal, as a string (`12.5`): Stripe's payload values are strings. */
  value: string;
  timestamp: Date;
}

export interface MeterHourSummary {
  /** The hour's start. */
  start: Date;
  /** What the provider counted in it. */
  value: number;
}

export type BillingErrorReason = 'unauthorized' | 'invalid' | 'not_found' | 'unreachable' | 'rate_limited' | 'failed';

/** A billing call failed; `retryable` says whether trying again (with the same key) may help. */
export class BillingError extends Error {
  readonly reason: BillingErrorReason;
  readonly retryable: boolean;
  constructor(reason: BillingErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BillingError';
    this.reason = reason;
    this.retryable = reason === 'unreachable' || reason === 'rate_limited' || reason === 'failed';
  }
}
