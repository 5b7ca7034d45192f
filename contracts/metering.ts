// Metering reconciliation records (docs/decisions/0027): per tenant and period (a UTC day),
// what Atrium counted, what it reported to Stripe under which identifiers, what Stripe
// counted, and the corrections — signed as a compact JWS (EdDSA) by the key published at
// GET /api/v1/license/jwks. GET /api/v1/tenants/:slug/reconciliations lists them;
// GET …/reconciliations/:period returns one with its JWS.
import { z } from 'zod';

/** The JWS `typ` of a signed reconciliation record. */
export const RECONCILIATION_JWS_TYPE = 'atrium-reconciliation+jws';

const Decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .meta({ description: 'A decimal, as a string (exact).' });

export const ReconciliationEvent = z
  .object({
    identifier: z.string().meta({ description: 'The meter event identifier sent to Stripe (or the cancelled one).' }),
    kind: z.enum(['report', 'late', 'correction', 'replacement', 'cancel']),
    value: Decimal,
    status: z.enum(['pending', 'reported', 'unconfirmed', 'refused']),
    cancels: z.string().nullable(),
    cancelled: z.boolean(),
  })
  .meta({ id: 'ReconciliationEvent' });

export const ReconciliationWindow = z
  .object({
    start: z.string(),
    usageTotal: Decimal,
    usageEvents: z.number().int(),
    reported: Decimal.meta({ description: 'What Stripe should count: every value sent, net of cancellations.' }),
    stripeCount: Decimal.nullable().meta({ description: 'What Stripe counted when last read back (null: not yet).' }),
    status: z.enum(['open', 'reported', 'matched', 'flagged']),
    flag: z.enum(['too_old', 'overcounted', 'refused', 'no_customer', 'meter_not_configured']).nullable(),
    unbilled: Decimal.meta({
      description: 'Usage Stripe did not count and can no longer be told (negative: counted too much).',
    }),
    events: z.array(ReconciliationEvent),
  })
  .meta({ id: 'ReconciliationWindow' });

export const ReconciliationRecord = z
  .object({
    type: z.literal('atrium.metering.reconciliation'),
    version: z.literal(1),
    tenant: z.object({ id: z.string(), slug: z.string() }),
    period: z.string().meta({ description: 'The UTC day, YYYY-MM-DD.' }),
    revision: z.number().int(),
    signedAt: z.string(),
    meters: z.array(
      z.object({
        meter: z.string(),
        unit: z.string(),
        usageTotal: Decimal,
        usageEvents: z.number().int(),
        reported: Decimal,
        stripeCount: Decimal.nullable(),
        corrections: z.number().int(),
        flagged: z.number().int(),
        windows: z.array(ReconciliationWindow),
      }),
    ),
  })
  .meta({ id: 'ReconciliationRecord' });
export type ReconciliationRecord = z.infer<typeof ReconciliationRecord>;

export const ReconciliationSummary = z
  .object({
    period: z.string(),
    revision: z.number().int(),
    signedAt: z.string(),
    usageEvents: z.number().int(),
    corrections: z.number().int(),
    flagged: z.number().int(),
    matched: z.boolean().meta({ description: "Every window's Stripe count equals its usage." }),
    meters: z
      .array(
        z.object({
          meter: z.string(),
          unit: z.string(),
          usageTotal: Decimal,
          stripeCount: Decimal.nullable().meta({ description: 'What Stripe counted (null: not read back yet).' }),
          corrections: z.number().int(),
          flagged: z.number().int(),
        }),
      )
      .meta({ description: 'Per meter: what Atrium counted beside what Stripe counted.' }),
  })
  .meta({ id: 'ReconciliationSummary' });
export type ReconciliationSummary = z.infer<typeof ReconciliationSummary>;

export const ReconciliationList = z
  .object({ reconciliations: z.array(ReconciliationSummary) })
  .meta({ id: 'ReconciliationList' });
export type ReconciliationList = z.infer<typeof ReconciliationList>;

export const ReconciliationDocument = z
  .object({
    record: ReconciliationRecord,
    jws: z
      .string()
      .meta({ description: 'The record, signed: a compact JWS (typ atrium-reconciliation+jws, alg EdDSA).' }),
    keyId: z.string(),
    jwksUrl: z.string().meta({ description: 'Where the public key is: verify the JWS against it.' }),
  })
  .meta({ id: 'ReconciliationDocument' });
export type ReconciliationDocument = z.infer<typeof ReconciliationDocument>;

export const ReconciliationListQuery = z
  .strictObject({
    from: z.iso.date({ error: 'Must be a date, YYYY-MM-DD.' }).optional(),
    to: z.iso.date({ error: 'Must be a date, YYYY-MM-DD.' }).optional(),
  })
  .meta({ id: 'ReconciliationListQuery' });

export const ReconciliationPeriodParams = z.strictObject({
  slug: z.string(),
  period: z.iso.date({ error: 'Must be a date, YYYY-MM-DD (a UTC day).' }),
});

/** POST /api/v1/admin/metering/runs: a reconciliation run started now (platform admins). */
export const MeteringRunStarted = z
  .object({ workflowId: z.string(), started: z.boolean() })
  .meta({ id: 'MeteringRunStarted' });
export type MeteringRunStarted = z.infer<typeof MeteringRunStarted>;
