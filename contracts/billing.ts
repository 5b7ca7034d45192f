// Billing: Stripe's webhook answer, and a tenant's billing standing as the billing workflow
// left it (dunning, the billing suspension, the subscription, the latest Stripe events).
import { z } from 'zod';

/** Stripe signs each delivery: `t=<time>,v1=<HMAC-SHA256 of "<time>.<raw body>">`. */
export const StripeSignatureHeader = z.object({ 'stripe-signature': z.string() });

/** What the webhook route answers Stripe (2xx: Stripe stops retrying). */
export const StripeWebhookAnswer = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    /** The event id was stored before: nothing was done again. */
    duplicate: z.boolean(),
    /** The tenant billing workflow it was handed to; null: no tenant has this customer, or Atrium ignores the type. */
    handedOverTo: z.string().nullable(),
  })
  .meta({ id: 'StripeWebhookAnswer' });
export type StripeWebhookAnswer = z.infer<typeof StripeWebhookAnswer>;

export const BILLING_STANDINGS = ['in-good-standing', 'dunning', 'suspended'] as const;
export const BillingStanding = z.enum(BILLING_STANDINGS);
export type BillingStanding = z.infer<typeof BillingStanding>;

export const StripeEventRecord = z.object({
  eventId: z.string(),
  type: z.string(),
  stripeCreatedAt: z.iso.datetime(),
  receivedAt: z.iso.datetime(),
  handedOverAt: z.iso.datetime().nullable(),
  handledAt: z.iso.datetime().nullable(),
  /** What the billing workflow did with it (`dunning-started`, `stale`, …); null while waiting or when ignored. */
  outcome: z.string().nullable(),
});
export type StripeEventRecord = z.infer<typeof StripeEventRecord>;

export const TenantBilling = z
  .object({
    standing: BillingStanding,
    dunning: z
      .object({
        invoiceIds: z.array(z.string()),
        since: z.iso.datetime().nullable(),
        graceEndsAt: z.iso.datetime().nullable(),
        mailedAt: z.iso.datetime().nullable(),
        recipients: z.array(z.string()),
      })
      .nullable(),
    /** The suspension billing started and has not lifted. */
    billingSuspension: z.object({ number: z.number().int(), reason: z.string() }).nullable(),
    /** The grace period ran out but billing did not suspend (an admin's suspension was in force): why. */
    suspensionSkipped: z.string().nullable(),
    /** The suspension in force now, whoever made it. */
    openSuspension: z.object({ number: z.number().int(), reason: z.string(), byBilling: z.boolean() }).nullable(),
    subscription: z.object({ id: z.string(), status: z.string().nullable() }).nullable(),
    recentEvents: z.array(StripeEventRecord),
  })
  .meta({ id: 'TenantBilling' });
export type TenantBilling = z.infer<typeof TenantBilling>;
