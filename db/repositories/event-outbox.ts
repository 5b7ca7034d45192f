// The event outbox (contracts/events.ts lists the events). `emitEvent` is the one way any
// code path emits an event: it writes into the caller's transaction, so the event commits
// or rolls back with the change it reports — never lost, never sent for a change that
// rolled back. Delivery reads the outbox afterwards.
import type { EntityManager } from 'typeorm';
import type { EventPayload, EventType } from '../../contracts/events.ts';
import { EVENT_CATALOGUE } from '../../contracts/events.ts';

export interface EmittedEvent {
  /** The outbox row's id: a tenant's events commit in this order. */
  sequence: string;
  eventId: string;
}

/**
 * Emits `type` for `tenantId` in the caller's transaction (tenant scope for that tenant, or
 * platform scope). The payload is checked against the event's schema first: a payload that
 * does not match is a bug, and throws (rolling the change back) rather than sending
 * receivers something the catalogue does not promise. `handedOver`: the caller delivers the
 * event itself (a test send), so the dispatcher never hands it to subscribers.
 */
export async function emitEvent<T extends EventType>(
  db: EntityManager,
  tenantId: string,
  type: T,
  payload: EventPayload<T>,
  options: { handedOver?: boolean } = {},
): Promise<EmittedEvent> {
  const entry = EVENT_CATALOGUE[type];
  const data = entry.payload.parse(payload) as Record<string, unknown>;
  // The tenant's audit-chain lock (the audit_log_chain trigger takes the same one; both are
  // transaction locks, so taking it twice is fine): the id below is drawn under it and the
  // lock is held until commit, so a tenant's events commit in id order.
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('atrium:audit:' || $1::text, 0))`, [tenantId]);
  const rows = await db.query<Array<{ id: string; event_id: string }>>(
    `INSERT INTO event_outbox (tenant_id, type, version, payload, dispatched_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)
     RETURNING id::text, event_id`,
    [tenantId, entry.type, entry.version, JSON.stringify(data), options.handedOver === true],
  );
  const row = rows[0]!;
  return { sequence: row.id, eventId: row.event_id };
}

export interface OutboxRow {
  id: string;
  event_id: string;
  tenant_id: string;
  type: string;
  version: number;
  payload: Record<string, unknown>;
  occurred_at: Date;
  dispatched_at: Date | null;
}

/** A tenant's events in the order they committed, oldest first (tests, the portal). */
export function listTenantEvents(
  db: EntityManager,
  tenantId: string,
  page: { afterId?: string | undefined; limit: number } = { limit: 100 },
): Promise<OutboxRow[]> {
  return db.query<OutboxRow[]>(
    `SELECT id::text, event_id, tenant_id, type, version, payload, occurred_at, dispatched_at
     FROM event_outbox WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [tenantId, page.afterId ?? '0', page.limit],
  );
}

/** One event of the tenant, by its id (the `webhook-id`); null when the tenant has none such. */
export async function findOutboxEvent(db: EntityManager, tenantId: string, eventId: string): Promise<OutboxRow | null> {
  const rows = await db.query<OutboxRow[]>(
    `SELECT id::text, event_id, tenant_id, type, version, payload, occurred_at, dispatched_at
     FROM event_outbox WHERE tenant_id = $1 AND event_id = $2`,
    [tenantId, eventId],
  );
  return rows[0] ?? null;
}

/**
 * The tenant's events of the given types that happened in [from, to), in the order they
 * committed, at most `limit`: what a time-range replay sends.
 */
export function listEventsInRange(
  db: EntityManager,
  tenantId: string,
  range: { from: Date; to: Date; types: readonly string[]; limit: number },
): Promise<Array<{ sequence: string; eventId: string }>> {
  return db.query<Array<{ sequence: string; eventId: string }>>(
    `SELECT id::text AS sequence, event_id AS "eventId" FROM event_outbox
     WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND type = ANY($4::text[])
     ORDER BY id LIMIT $5`,
    [tenantId, range.from, range.to, range.types, range.limit],
  );
}
