// Queries on webhook_endpoint_notices: which mails the owners got about an endpoint that
// delivery paused or disabled. Run them in the tenant's scope (row-level security).
import type { EntityManager } from 'typeorm';

export type WebhookEndpointNoticeKind = 'paused' | 'disabled';

/** One notice: an endpoint, what happened to it, and the failing round it happened in. */
export interface WebhookEndpointNoticeKey {
  tenantId: string;
  endpointId: string;
  notice: WebhookEndpointNoticeKind;
  /** The head event whose failures paused the endpoint. */
  eventId: string;
  /** When that event's failing round began (ISO). */
  failingSince: string;
}

export async function wasNoticeSent(db: EntityManager, key: WebhookEndpointNoticeKey): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM webhook_endpoint_notices
     WHERE tenant_id = $1 AND endpoint_id = $2 AND notice = $3 AND event_id = $4 AND failing_since = $5`,
    [key.tenantId, key.endpointId, key.notice, key.eventId, key.failingSince],
  );
  return rows.length > 0;
}

/** Records the notice as sent; false when it was recorded already (nothing written). */
export async function recordNoticeSent(
  db: EntityManager,
  key: WebhookEndpointNoticeKey,
  mailed: { recipients: string[]; refused: string[] },
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `INSERT INTO webhook_endpoint_notices (tenant_id, endpoint_id, notice, event_id, failing_since, recipients, refused)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING endpoint_id`,
    [key.tenantId, key.endpointId, key.notice, key.eventId, key.failingSince, mailed.recipients, mailed.refused],
  );
  return rows.length > 0;
}
