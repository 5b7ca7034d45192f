// Queries on webhook_deliveries, the delivery log (one row per attempt). Run them in a
// tenant-scoped transaction (db/scope.ts): the table is under row-level security, and every
// query names the tenant as well.
import type { EntityManager } from 'typeorm';

export type DeliveryOutcome = 'delivered' | 'retry' | 'gone' | 'refused';
/** Who made the attempt: the endpoint's sequencer, a replay workflow, or the test-send button. */
export type DeliveryKind = 'delivery' | 'replay' | 'test';

export interface WebhookDeliveryRow {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  outcome: DeliveryOutcome;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string;
  error: string | null;
  url: string;
  kind: DeliveryKind;
  /** The replay that made the attempt (kind `replay`), else null. */
  replay_id: string | null;
  attempted_at: Date;
}

/** A new attempt; the sequencer's own (`delivery`) unless it says otherwise. */
export type NewWebhookDelivery = Omit<WebhookDeliveryRow, 'id' | 'attempted_at' | 'kind' | 'replay_id'> &
  Partial<Pick<WebhookDeliveryRow, 'kind' | 'replay_id'>>;

/**
 * Records an attempt. The same attempt recorded again (its activity retried after a worker
 * died between sending and recording) replaces the row: it is the latest try of that attempt.
 * Attempts are numbered per event within the sequencer's delivery (and test sends), and
 * within each replay: two partial unique indexes, so the conflict target names its own.
 */
export async function recordWebhookDelivery(db: EntityManager, row: NewWebhookDelivery): Promise<WebhookDeliveryRow> {
  const replayId = row.replay_id ?? null;
  const conflictTarget =
    replayId === null
      ? '(endpoint_id, event_id, attempt) WHERE replay_id IS NULL'
      : '(replay_id, event_id, attempt) WHERE replay_id IS NOT NULL';
  const rows = await db.query<WebhookDeliveryRow[]>(
    `INSERT INTO webhook_deliveries
       (tenant_id, endpoint_id, event_id, event_type, attempt, outcome, status_code, duration_ms, response_excerpt, error,
        url, kind, replay_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT ${conflictTarget} DO UPDATE SET
       outcome = EXCLUDED.outcome, status_code = EXCLUDED.status_code, duration_ms = EXCLUDED.duration_ms,
       response_excerpt = EXCLUDED.response_excerpt, error = EXCLUDED.error, url = EXCLUDED.url,
       attempted_at = now()
     RETURNING *, id::text AS id`,
    [
      row.tenant_id,
      row.endpoint_id,
      row.event_id,
      row.event_type,
      row.attempt,
      row.outcome,
      row.status_code,
      row.duration_ms,
      row.response_excerpt,
      row.error,
      row.url,
      row.kind ?? 'delivery',
      replayId,
    ],
  );
  return rows[0]!;
}

/**
 * Whether the endpoint's sequencer delivered the event already (replays and test sends do not
 * count: a replay never makes the sequencer skip an event, so its order stays its own).
 */
export async function wasDelivered(
  db: EntityManager,
  tenantId: string,
  endpointId: string,
  eventId: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM webhook_deliveries
     WHERE tenant_id = $1 AND endpoint_id = $2 AND event_id = $3 AND outcome = 'delivered' AND kind = 'delivery'`,
    [tenantId, endpointId, eventId],
  );
  return rows.length > 0;
}

/** Whether a replay delivered the event already (its activity retried after sending). */
export async function wasReplayed(
  db: EntityManager,
  tenantId: string,
  replayId: string,
  eventId: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM webhook_deliveries
     WHERE tenant_id = $1 AND replay_id = $2 AND event_id = $3 AND outcome = 'delivered'`,
    [tenantId, replayId, eventId],
  );
  return rows.length > 0;
}

/** Whether the event was ever attempted at the endpoint (delivered, replayed or test-sent): it may be replayed. */
export async function wasAttempted(
  db: EntityManager,
  tenantId: string,
  endpointId: string,
  eventId: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND event_id = $3 LIMIT 1`,
    [tenantId, endpointId, eventId],
  );
  return rows.length > 0;
}

export interface DeliveryFilter {
  outcome?: DeliveryOutcome | undefined;
  eventType?: string | undefined;
  eventId?: string | undefined;
  kind?: DeliveryKind | undefined;
  /** Only attempts older than this row (the previous page's cursor). */
  beforeId?: string | undefined;
  limit: number;
}

/** An endpoint's attempts, newest first. */
export function listWebhookDeliveries(
  db: EntityManager,
  tenantId: string,
  endpointId: string,
  filter: DeliveryFilter,
): Promise<WebhookDeliveryRow[]> {
  return db.query<WebhookDeliveryRow[]>(
    `SELECT id::text AS id, tenant_id, endpoint_id, event_id, event_type, attempt, outcome, status_code,
            duration_ms, response_excerpt, error, url, kind, replay_id, attempted_at
     FROM webhook_deliveries
     WHERE tenant_id = $1 AND endpoint_id = $2
       AND ($3::text IS NULL OR outcome = $3)
       AND ($4::text IS NULL OR event_type = $4)
       AND ($5::uuid IS NULL OR event_id = $5)
       AND ($6::bigint IS NULL OR id < $6)
       AND ($8::text IS NULL OR kind = $8)
     ORDER BY id DESC LIMIT $7`,
    [
      tenantId,
      endpointId,
      filter.outcome ?? null,
      filter.eventType ?? null,
      filter.eventId ?? null,
      filter.beforeId ?? null,
      filter.limit,
      filter.kind ?? null,
    ],
  );
}
