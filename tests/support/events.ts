// Reading the event outbox in tests: the events a change emitted, each payload parsed with
// its schema from the event catalogue (contracts/events.ts), so a test fails when a flow
// emits something the catalogue does not promise.
import assert from 'node:assert/strict';
import type { EventPayload, EventType } from '../../contracts/events.ts';
import { EVENT_CATALOGUE, isEventType } from '../../contracts/events.ts';

export interface OutboxEvent {
  id: string;
  eventId: string;
  tenantId: string;
  type: EventType;
  version: number;
  payload: Record<string, unknown>;
}

/** Outbox rows as read (to_jsonb of event_outbox, or a SELECT *), checked against the catalogue. */
export function parseOutboxRows(rows: Array<Record<string, any>>): OutboxEvent[] {
  return rows
    .map((row) => {
      assert.ok(isEventType(row.type), `${row.type} is in the event catalogue`);
      const entry = EVENT_CATALOGUE[row.type];
      assert.equal(row.version, entry.version, `${row.type} carries its catalogue version`);
      const parsed = entry.payload.safeParse(row.payload);
      assert.ok(parsed.success, `${row.type}'s payload parses with its schema: ${parsed.error?.message}`);
      return {
        id: String(row.id),
        eventId: row.event_id,
        tenantId: row.tenant_id,
        type: row.type,
        version: row.version,
        payload: row.payload,
      };
    })
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/** The events in `after` that were not in `before` (activity harness states), in emission order. */
export function newEvents(before: Record<string, any>, after: Record<string, any>): OutboxEvent[] {
  const rows = (state: Record<string, any>): Array<Record<string, any>> => state.event_outbox ?? [];
  const seen = new Set(rows(before).map((row) => String(row.id)));
  return parseOutboxRows(rows(after).filter((row) => !seen.has(String(row.id))));
}

/** Asserts that exactly one event was emitted, of `type`, with `payload`. */
export function assertOneEvent<T extends EventType>(events: OutboxEvent[], type: T, payload: EventPayload<T>): void {
  assert.deepEqual(
    events.map((e) => [e.type, e.payload]),
    [[type, payload]],
  );
}
