// The body an endpoint receives for an event (contracts/events.ts EventEnvelope): the same
// for the first delivery, every retry, every replay and a test send, so a receiver that saw
// the event once recognises it (`id` is also the `webhook-id` header).
import type { EventEnvelope } from '../../contracts/events.ts';

/** An event as the outbox keeps it (db/repositories/event-outbox.ts). */
export interface StoredEvent {
  event_id: string;
  type: string;
  version: number;
  tenant_id: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

export function envelopeOf(event: StoredEvent): EventEnvelope {
  return {
    id: event.event_id,
    type: event.type,
    version: event.version,
    tenantId: event.tenant_id,
    timestamp: event.occurred_at.toISOString(),
    data: event.payload,
  };
}
