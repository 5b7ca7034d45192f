// Which billing provider Atrium uses, read once at boot by the processes that bill (the
// worker). STRIPE_SECRET_KEY selects Stripe; without it, the local adapter (no payments).
// STRIPE_API_HOST/PORT/PROTOCOL point the Stripe client elsewhere (stripe-mock in tests).
import { z } from 'zod';
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
};

export type BillingConfig =
  | {
      kind: 'stripe';
      secretKey: string;
      /** Unset fields mean Stripe's own API. */
      api: { host?: string; port?: number; protocol?: 'https' | 'http' };
      prices: Record<string, string>;
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
  };
}
