// What delivery does to an endpoint whose receiver answered 410 Gone, or whose address the
// outbound guard refuses: disables it at once, in the attempt's own transaction, audited as
// the system. The sequencer and replays both do this (a receiver that is gone is gone).
import type { WebhookEndpointRow } from '../../db/repositories/webhook-endpoints.ts';
import { updateWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import type { AttemptRecord } from '../../integrations/webhooks/sender.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';

/** Why delivery disabled the endpoint (the portal shows it). */
export function disabledByDeliveryReason(attempt: Pick<AttemptRecord, 'outcome' | 'error'>, eventId: string): string {
  return attempt.outcome === 'gone'
    ? `disabled by delivery: the endpoint answered 410 Gone to event ${eventId}`
    : `disabled by delivery: ${attempt.error ?? 'the address is refused'}`;
}

/** Disables the endpoint (by delivery), audited as the system, unless it is disabled already. */
export async function disableByDelivery(
  tx: TenantStepTransaction,
  endpoint: WebhookEndpointRow,
  reason: string,
): Promise<void> {
  if (endpoint.status === 'disabled') return;
  const row = await updateWebhookEndpoint(tx.db, endpoint.tenant_id, endpoint.id, {
    status: 'disabled',
    disabled_reason: reason,
  });
  await tx.auditChange(
    'webhook_endpoint.disabled',
    'webhook_endpoint',
    endpoint.id,
    { status: endpoint.status, disabledReason: endpoint.disabled_reason },
    { status: row.status, disabledReason: row.disabled_reason },
  );
}
