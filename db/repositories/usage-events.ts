// Queries on usage_events (db/migrations/1765330000000-CreateUsageEvents.ts), in a
// tenant-scoped transaction (db/scope.ts); every query names the tenant too.
import type { EntityManager } from 'typeorm';

export interface NewUsageEvent {
  eventId: string;
  meter: string;
  quantity: number;
  occurredAt: Date;
  attributes: Record<string, unknown>;
}

/**
 * Stores a batch in one statement; an id the tenant sent before (or twice in the batch) is
 * skipped. Returns how many were new.
 */
export async function insertUsageEvents(db: EntityManager, tenantId: string, events: NewUsageEvent[]): Promise<number> {
  // The count, not the rows: a batch's 500 ids back would cost the API more than the insert's
  // own answer (bench/metering.ts).
  const [{ inserted }] = await db.query<[{ inserted: number }]>(
    `WITH inserted AS (
       INSERT INTO usage_events (tenant_id, event_id, meter, quantity, occurred_at, attributes)
       SELECT $1, e.event_id, e.meter, e.quantity, e.occurred_at, e.attributes
       FROM unnest($2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::jsonb[])
         AS e (event_id, meter, quantity, occurred_at, attributes)
       ON CONFLICT (tenant_id, event_id) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS inserted FROM inserted`,
    [
      tenantId,
      events.map((event) => event.eventId),
      events.map((event) => event.meter),
      events.map((event) => String(event.quantity)),
      events.map((event) => event.occurredAt.toISOString()),
      events.map((event) => JSON.stringify(event.attributes)),
    ],
  );
  return inserted;
}

export interface UsageBucketRow {
  meter: string;
  bucket: Date;
  quantity: string;
  events: number;
}

/** Sums per meter and hour or day (UTC) of the events that occurred in [from, to). */
export function summarizeUsage(
  db: EntityManager,
  tenantId: string,
  range: { from: Date; to: Date; granularity: 'hour' | 'day'; meter?: string },
): Promise<UsageBucketRow[]> {
  return db.query<UsageBucketRow[]>(
    `SELECT meter, date_trunc($4, occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
            sum(quantity)::text AS quantity, count(*)::int AS events
     FROM usage_events
     WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND ($5::text IS NULL OR meter = $5)
     GROUP BY meter, bucket ORDER BY meter, bucket`,
    [tenantId, range.from, range.to, range.granularity, range.meter ?? null],
  );
}
