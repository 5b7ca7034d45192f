// Usage: events a tenant reports with its API key (POST /api/v1/usage), deduplicated by the
// event's id within the tenant, and the summaries per meter and period
// (GET /api/v1/tenants/:slug/usage). The meters are data: workflows/shared/meters.ts.
import { z } from 'zod';
import type { MeterName } from '../workflows/shared/meters.ts';
import { METER_NAMES, REPORTABLE_METERS, USAGE_MAX_BATCH } from '../workflows/shared/meters.ts';

const AttributeValue = z.union([z.string().max(200), z.number(), z.boolean()]);

export const UsageEventInput = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'Use 1 to 100 letters, digits, ".", "_", ":" or "-".')
      .meta({ description: 'Your idempotency id for the event: the same id is counted once per tenant.' }),
    meter: z.enum(REPORTABLE_METERS as [MeterName, ...MeterName[]], {
      error: `Unknown meter; tenants report ${REPORTABLE_METERS.join(', ')}.`,
    }),
    quantity: z
      .number({ error: 'Must be a number.' })
      .positive('Must be more than 0.')
      .max(1_000_000_000, 'Must be at most 1,000,000,000.'),
    timestamp: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time, e.g. 2026-12-03T10:00:00Z.' }),
    attributes: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'Attribute names: 1 to 40 letters, digits, "_", "." or "-".'),
        AttributeValue,
      )
      .refine((value) => Object.keys(value).length <= 20, 'At most 20 attributes.')
      .optional(),
  })
  .meta({ id: 'UsageEventInput' });
export type UsageEventInput = z.infer<typeof UsageEventInput>;

export const UsageBatch = z
  .strictObject({
    tenant: z
      .string()
      .optional()
      .meta({ description: "The tenant's slug, if you want it checked: it must be the API key's own tenant." }),
    events: z
      .array(UsageEventInput)
      .min(1, 'Send at least one event.')
      .max(USAGE_MAX_BATCH, `Send at most ${USAGE_MAX_BATCH} events per request.`),
  })
  .meta({ id: 'UsageBatch' });
export type UsageBatch = z.infer<typeof UsageBatch>;

export const UsageAccepted = z
  .object({
    received: z.number().int(),
    accepted: z.number().int().meta({ description: 'New events stored.' }),
    duplicates: z.number().int().meta({ description: 'Events whose id this tenant had sent before (or twice here).' }),
  })
  .meta({ id: 'UsageAccepted' });
export type UsageAccepted = z.infer<typeof UsageAccepted>;

export const USAGE_GRANULARITIES = ['hour', 'day'] as const;

export const UsageSummaryQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time.' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'Must be an ISO 8601 date-time.' }).optional(),
    granularity: z.enum(USAGE_GRANULARITIES, { error: 'Choose "hour" or "day".' }).optional(),
    meter: z
      .enum(METER_NAMES as [MeterName, ...MeterName[]], { error: `Unknown meter (${METER_NAMES.join(', ')}).` })
      .optional(),
  })
  .meta({ id: 'UsageSummaryQuery' });
export type UsageSummaryQuery = z.infer<typeof UsageSummaryQuery>;

export const UsageSummary = z
  .object({
    from: z.string(),
    to: z.string(),
    granularity: z.enum(USAGE_GRANULARITIES),
    meters: z.array(
      z.object({
        meter: z.string(),
        label: z.string(),
        unit: z.string(),
        total: z.number(),
        events: z.number().int(),
        buckets: z.array(z.object({ start: z.string(), quantity: z.number(), events: z.number().int() })),
      }),
    ),
  })
  .meta({ id: 'UsageSummary' });
export type UsageSummary = z.infer<typeof UsageSummary>;
