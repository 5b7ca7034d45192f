// The outbox dispatcher: moves committed events from event_outbox to the sequencers of the
// endpoints that subscribe to them (api/webhooks/starter.ts), and marks them dispatched.
// Every API process runs one (WEBHOOK_DISPATCHER); any number may run at once.
//
// Claiming is per tenant: a dispatcher takes a tenant's pending events only while it holds
// that tenant's dispatch lock (a transaction-level advisory lock taken with *try*, so other
// dispatchers skip the tenant instead of waiting — SKIP LOCKED at the tenant's grain). Row-
// level SKIP LOCKED would let two dispatchers split one tenant's events and signal the later
// half first; per tenant, one holder hands the events over in commit order and marks them in
// the same transaction. If it dies after signalling and before committing, the next holder
// signals the same events again, and the sequencer drops what it already accepted (by
// sequence), so no event is handed out twice for the same attempt.
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { withPlatformScope } from '../../db/scope.ts';
import type { Logger } from '../../logging/logger.ts';
import type { DeliveryPolicy, QueuedEvent } from '../../workflows/webhooks/contract.ts';
import { enqueueWebhookEvents } from './starter.ts';

/** Events of one tenant handed over per transaction. */
const BATCH_SIZE = 200;
/** Tenants looked at per pass. */
const TENANTS_PER_PASS = 100;

export interface DispatcherOptions {
  dataSource: DataSource;
  client: Client;
  taskQueuePrefix: string;
  policy: DeliveryPolicy;
  intervalMs: number;
  logger: Logger;
}

export interface OutboxDispatcher {
  /** One pass over every tenant with pending events; the number of events handed over. */
  dispatchOnce(): Promise<number>;
  /** Runs a pass now and then every `intervalMs` until stopped. */
  start(): void;
  /** Ends the loop after the pass under way. */
  stop(): Promise<void>;
}

interface PendingEvent {
  id: string;
  event_id: string;
  type: string;
  occurred_at: Date;
}

interface Subscriber {
  id: string;
  slug: string;
  event_types: string[];
  created_at: Date;
}

/** The advisory lock a tenant's dispatcher holds (a different key from the tenant's step lock). */
export function dispatchLockKey(tenantId: string): string {
  return `atrium:webhook-dispatch:${tenantId}`;
}

export function createOutboxDispatcher(options: DispatcherOptions): OutboxDispatcher {
  const { dataSource, logger } = options;

  /** Hands over one batch of a tenant's events, if no other dispatcher holds the tenant. */
  function dispatchTenant(tenantId: string): Promise<number> {
    return withPlatformScope(dataSource, async (db) => {
      const [lock] = await db.query<Array<{ locked: boolean }>>(
        `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked`,
        [dispatchLockKey(tenantId)],
      );
      if (!lock?.locked) return 0;
      const events = await db.query<PendingEvent[]>(
        `SELECT id::text, event_id, type, occurred_at FROM event_outbox
         WHERE tenant_id = $1 AND dispatched_at IS NULL ORDER BY id LIMIT $2 FOR UPDATE`,
        [tenantId, BATCH_SIZE],
      );
      if (events.length === 0) return 0;
      // Disabled endpoints get nothing; paused ones keep queueing (their sequencer waits).
      const subscribers = await db.query<Subscriber[]>(
        `SELECT e.id, t.slug, e.event_types, e.created_at FROM webhook_endpoints e
         JOIN tenants t ON t.id = e.tenant_id
         WHERE e.tenant_id = $1 AND e.status <> 'disabled' ORDER BY e.created_at`,
        [tenantId],
      );
      for (const endpoint of subscribers) {
        const wanted: QueuedEvent[] = events
          .filter((event) => endpoint.event_types.includes(event.type) && event.occurred_at >= endpoint.created_at)
          .map((event) => ({ sequence: event.id, eventId: event.event_id }));
        if (wanted.length === 0) continue;
        await enqueueWebhookEvents(options, {
          tenantId,
          slug: endpoint.slug,
          endpointId: endpoint.id,
          policy: options.policy,
          events: wanted,
        });
      }
      await db.query(`UPDATE event_outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])`, [
        events.map((event) => event.id),
      ]);
      return events.length;
    });
  }

  async function dispatchOnce(): Promise<number> {
    const tenants = await withPlatformScope(dataSource, (db) =>
      db.query<Array<{ tenant_id: string }>>(
        `SELECT DISTINCT tenant_id FROM event_outbox WHERE dispatched_at IS NULL LIMIT $1`,
        [TENANTS_PER_PASS],
      ),
    );
    let handed = 0;
    for (const { tenant_id } of tenants) {
      try {
        handed += await dispatchTenant(tenant_id);
      } catch (error) {
        // Nothing was marked: this tenant's events are handed over on a later pass.
        logger.warn('Webhook dispatch failed for a tenant; will try again', { tenantId: tenant_id, error });
      }
    }
    return handed;
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = (async () => {
      try {
        // Another pass at once while a pass fills a batch: a backlog drains without waiting.
        while (!stopped && (await dispatchOnce()) >= BATCH_SIZE);
      } catch (error) {
        logger.warn('Webhook dispatch pass failed; will try again', { error });
      }
      if (!stopped) timer = setTimeout(loop, options.intervalMs);
    })();
  };

  return {
    dispatchOnce,
    start: loop,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Creates a dispatcher and starts its loop. */
export function startOutboxDispatcher(options: DispatcherOptions): OutboxDispatcher {
  const dispatcher = createOutboxDispatcher(options);
  dispatcher.start();
  return dispatcher;
}
