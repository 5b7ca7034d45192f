// Which billing provider Atrium uses, read once at boot by the processes that bill (the
// worker). STRIPE_SECRET_KEY selects Stripe; without it, the local adapter (no payments).
// STRIPE_API_HOST/PORT/PROTOCOL point the Stripe client elsewhere (stripe-mock in tests).
import { z } from 'zod';
import type { MeterName } from '../workflows/shared/meters.ts';
import { METER_NAMES } from '../workflows/shared/meters.ts';
import { port } from './env.ts';

const PRICES = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object such as {"team":"price_123"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string(), z.string().regex(/^price_\w+$/, 'each value must be a Stripe price id (price_…)'), {
      error: 'must be a JSON object such as {"team":"price_123"}',
    }),
  );

const METERS = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON object such as {"compute.seconds":{"id":"mtr_123","event":"compute_seconds"}}',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z.partialRecord(
      z.enum(METER_NAMES as [MeterName, ...MeterName[]], { error: `keys must be meters (${METER_NAMES.join(', ')})` }),
      z.strictObject({
        id: z.string().regex(/^mtr_\w+$/, 'each meter id must be a Stripe meter id (mtr_…)'),
        event: z.string().regex(/^[\w.:-]{1,100}$/, "each event must be the Stripe meter's event_name"),
      }),
      { error: 'must be a JSON object such as {"compute.seconds":{"id":"mtr_123","event":"compute_seconds"}}' },
    ),
  );

export const billingSettings = {
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)')
    .optional(),
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: port.optional(),
  STRIPE_API_PROTOCOL: z.enum(['https', 'http']).optional(),
  /** Stripe price id per plan, as JSON: {"free":"price_…","team":"price_…","enterprise":"price_…"}. */
  STRIPE_PRICES: PRICES.default({}),
  /** The Stripe Billing Meter per Atrium meter, as JSON: {"compute.seconds":{"id":"mtr_…","event":"compute_seconds"}}. */
  STRIPE_METERS: METERS.default({}),
};

export type BillingConfig =
  | {
      kind: 'stripe';
      secretKey: string;
      /** Unset fields mean Stripe's own API. */
      api: { host?: string; port?: number; protocol?: 'https' | 'http' };
      prices: Record<string, string>;
      /** The meters usage is reported on; a meter left out is not billed (its windows are flagged). */
      meters: Record<string, { id: string; event: string }>;
    }
  | { kind: 'local' };

type BillingSettings = z.output<z.ZodObject<typeof billingSettings>>;

export function billingConfigFrom(parsed: BillingSettings): BillingConfig {
  if (!parsed.STRIPE_SECRET_KEY) return { kind: 'local' };
  return {
    kind: 'stripe',
    secretKey: parsed.STRIPE_SECRET_KEY,
    api: {
      ...(parsed.STRIPE_API_HOST ? { host: parsed.STRIPE_API_HOST } : {}),
      ...(parsed.STRIPE_API_PORT ? { port: parsed.STRIPE_API_PORT } : {}),
      ...(parsed.STRIPE_API_PROTOCOL ? { protocol: parsed.STRIPE_API_PROTOCOL } : {}),
    },
    prices: parsed.STRIPE_PRICES,
    meters: Object.fromEntries(
      Object.entries(parsed.STRIPE_METERS).filter(
        (entry): entry is [string, { id: string; event: string }] => !!entry[1],
      ),
    ),
  };
}
