// Stripe's webhook events, verified: the Stripe-Signature header is checked on the raw body
// with the endpoint's signing secret (whsec_…) by the stripe library, within its tolerance of
// five minutes against replays. What comes out is a plain object (no SDK type crosses into
// the API): the event's id, type, time, the customer, and what the billing workflow needs of
// the object it is about.
import Stripe from 'stripe';

export interface VerifiedStripeEvent {
  id: string;
  type: string;
  /** Seconds since the epoch. */
  created: number;
  livemode: boolean;
  /** The customer the object belongs to (`cus_…`), when it names one. */
  customerId: string | null;
  /** The object's id (`in_…`, `sub_…`) and status. */
  objectId: string | null;
  objectStatus: string | null;
  /** Subscriptions: the price ids of the items. */
  priceIds: string[];
  /** The whole event as Stripe sent it (kept in the inbox). */
  payload: unknown;
}

/** The signature header is missing, malformed, does not match, or is too old. */
export class StripeSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeSignatureError';
  }
}

export function verifyStripeEvent(
  rawBody: Buffer,
  signature: string | undefined,
  secret: string,
  toleranceSeconds?: number,
): VerifiedStripeEvent {
  if (!signature) throw new StripeSignatureError('The Stripe-Signature header is missing.');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
  } catch (error) {
    throw new StripeSignatureError(
      `The Stripe-Signature does not verify with this endpoint's secret: ${(error as Error).message}`,
    );
  }
  const object = event.data.object as unknown as Record<string, unknown>;
  const customer = object.customer;
  const items = (object.items as { data?: Array<{ price?: { id?: string } | string }> } | undefined)?.data ?? [];
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    customerId:
      typeof customer === 'string'
        ? customer
        : customer && typeof customer === 'object' && typeof (customer as { id?: unknown }).id === 'string'
          ? (customer as { id: string }).id
          : null,
    objectId: typeof object.id === 'string' ? object.id : null,
    objectStatus: typeof object.status === 'string' ? object.status : null,
    priceIds: items
      .map((item) => (typeof item.price === 'string' ? item.price : item.price?.id))
      .filter((price): price is string => typeof price === 'string'),
    payload: event,
  };
}
