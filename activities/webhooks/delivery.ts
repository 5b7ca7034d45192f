// The webhooks family's delivery attempt: read the endpoint and the event, sign with every
// secret valid now, POST through the outbound client, record the attempt. Nothing is sent
// while the tenant is suspended (the sequencer holds the queue until its reactivation).
import { findOutboxEvent } from '../../db/repositories/event-outbox.ts';
import type { NewWebhookDelivery } from '../../db/repositories/webhook-deliveries.ts';
import { recordWebhookDelivery, wasDelivered } from '../../db/repositories/webhook-deliveries.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import { envelopeOf } from '../../integrations/webhooks/envelope.ts';
import { sendWebhook } from '../../integrations/webhooks/sender.ts';
import { signingSecretsOf } from '../../integrations/webhooks/signing-secrets.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import { disableByDelivery, disabledByDeliveryReason } from './disable-endpoint.ts';

export interface AttemptWebhookDeliveryInput {
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** The outbox row's id (decimal string). */
  sequence: string;
  /** The workflow's attempt number for this event (1, 2, …): the delivery log's. */
  attempt: number;
  requestTimeoutMs: number;
}

export interface AttemptWebhookDeliveryResult {
  outcome:
    | 'delivered'
    /** An earlier attempt (or run) delivered it already: nothing was sent. */
    | 'already-delivered'
    /** Not delivered: try again later. */
    | 'retry'
    /** 410 Gone or a refused address: the endpoint was disabled. */
    | 'disabled'
    /** The endpoint is paused: wait until a member re-enables it. Nothing was sent. */
    | 'paused'
    /** The tenant is suspended: wait for its reactivation. Nothing was sent. */
    | 'tenant-suspended'
    /** A member disabled or deleted the endpoint. Nothing was sent. */
    | 'endpoint-closed';
  status: number | null;
}

export function createDeliveryActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'outbound' | 'webhookSigningClock'>,
) {
  return {
    /**
     * One attempt to deliver an event to an endpoint: signed when it is sent (fresh
     * `webhook-timestamp`; every valid secret during a rotation), recorded in the delivery
     * log; a 410 or an address the guard refuses disables the endpoint in the same
     * transaction as the record. The receiver's answers are the result, never a failure.
     *
     * Retry-safe: an event the log shows delivered is not sent again; a retried attempt (the
     * worker died after sending) sends again with the same `webhook-id`, so receivers
     * deduplicate, and replaces its own log row (endpoint, event, attempt).
     */
    async attemptWebhookDelivery(input: AttemptWebhookDeliveryInput): Promise<AttemptWebhookDeliveryResult> {
      return tenantStep(deps, input, async (step) => {
        const { tenantId, endpointId, eventId } = input;
        const found = await withTenantScope(deps.dataSource, tenantId, async (db) => {
          const endpoint = await findWebhookEndpoint(db, tenantId, endpointId);
          if (!endpoint) return null;
          const delivered = await wasDelivered(db, tenantId, endpointId, eventId);
          const event = await findOutboxEvent(db, tenantId, eventId);
          const tenant = await findTenantById(db, tenantId);
          return { endpoint, delivered, event, tenantStatus: tenant?.status };
        });
        if (!found || found.endpoint.status === 'disabled') return { outcome: 'endpoint-closed', status: null };
        const { endpoint, delivered, event, tenantStatus } = found;
        if (delivered) return { outcome: 'already-delivered', status: null };
        if (endpoint.status === 'paused') return { outcome: 'paused', status: null };
        if (!event) throw new Error(`Event ${eventId} is not in tenant ${tenantId}'s outbox.`);
        // A suspended tenant's events wait for its reactivation; the suspension's own notice
        // goes out, so the tenant's systems learn why the rest wait.
        if (tenantStatus === 'suspended' && event.type !== 'tenant.suspended')
          return { outcome: 'tenant-suspended', status: null };

        const attempt = await sendWebhook(deps.outbound, {
          url: endpoint.url,
          id: eventId,
          body: JSON.stringify(envelopeOf(event)),
          // Which secrets are valid: the real clock (rotation grace periods are real time).
          secrets: await signingSecretsOf(deps.secretStore, endpoint, new Date()),
          // The moment of signing (webhook-timestamp): the real clock, but for tests (worker/config.ts).
          sentAt: deps.webhookSigningClock(),
          timeoutMs: input.requestTimeoutMs,
        });
        const record: NewWebhookDelivery = {
          tenant_id: tenantId,
          endpoint_id: endpointId,
          event_id: eventId,
          event_type: event.type,
          attempt: input.attempt,
          outcome: attempt.outcome,
          status_code: attempt.status,
          duration_ms: attempt.durationMs,
          response_excerpt: attempt.responseExcerpt,
          error: attempt.error,
          url: endpoint.url,
        };
        return step.locked(async (tx) => {
          // The endpoint may have been deleted while the request was out: nothing to record then.
          const current = await findWebhookEndpoint(tx.db, tenantId, endpointId, { lock: true });
          if (!current) return { outcome: 'endpoint-closed', status: attempt.status };
          await recordWebhookDelivery(tx.db, record);
          if (attempt.outcome === 'delivered') return { outcome: 'delivered', status: attempt.status };
          if (attempt.outcome === 'retry') return { outcome: 'retry', status: attempt.status };
          await disableByDelivery(tx, current, disabledByDeliveryReason(attempt, eventId));
          return { outcome: 'disabled', status: attempt.status };
        });
      });
    },
  };
}
