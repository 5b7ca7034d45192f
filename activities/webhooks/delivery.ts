// The webhooks family's activities: one delivery attempt (read the endpoint and the event,
// sign with every secret valid now, POST through the outbound client, record the attempt),
// and pausing an endpoint whose deliveries keep failing.
import { findOutboxEvent } from '../../db/repositories/event-outbox.ts';
import type { NewWebhookDelivery } from '../../db/repositories/webhook-deliveries.ts';
import { recordWebhookDelivery, wasDelivered } from '../../db/repositories/webhook-deliveries.ts';
import { findWebhookEndpoint, updateWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
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
    /** A member disabled or deleted the endpoint. Nothing was sent. */
    | 'endpoint-closed';
  status: number | null;
}

export interface PauseWebhookEndpointInput {
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** When the event's first failing attempt of this round was made. */
  failingSince: string;
  attempts: number;
}

/** Why an endpoint is paused or disabled by delivery (the portal shows it). */
export function pausedReason(input: PauseWebhookEndpointInput): string {
  return `paused by delivery: event ${input.eventId} failed ${input.attempts} times since ${input.failingSince}; the events after it wait. Re-enable the endpoint to resume.`;
}

export function createWebhookActivities(deps: ActivityDeps) {
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
          return { endpoint, delivered, event };
        });
        if (!found || found.endpoint.status === 'disabled') return { outcome: 'endpoint-closed', status: null };
        const { endpoint, delivered, event } = found;
        if (delivered) return { outcome: 'already-delivered', status: null };
        if (endpoint.status === 'paused') return { outcome: 'paused', status: null };
        if (!event) throw new Error(`Event ${eventId} is not in tenant ${tenantId}'s outbox.`);

        const sentAt = new Date();
        const attempt = await sendWebhook(deps.outbound, {
          url: endpoint.url,
          id: eventId,
          body: JSON.stringify(envelopeOf(event)),
          secrets: await signingSecretsOf(deps.secretStore, endpoint, sentAt),
          sentAt,
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

    /**
     * Pauses an endpoint whose head event kept failing for the policy's window: delivery
     * waits, in order, until a member re-enables it. Audited as the system.
     *
     * Retry-safe: a guarded transition (only an enabled endpoint is paused); a repeat finds it
     * paused and changes nothing.
     */
    async pauseWebhookEndpoint(input: PauseWebhookEndpointInput): Promise<{ status: 'paused' | 'closed' }> {
      return tenantStep(deps, input, (step) =>
        step.locked(async (tx) => {
          const current = await findWebhookEndpoint(tx.db, input.tenantId, input.endpointId, { lock: true });
          if (!current || current.status === 'disabled') return { status: 'closed' as const };
          if (current.status === 'paused') return { status: 'paused' as const };
          const row = await updateWebhookEndpoint(tx.db, input.tenantId, input.endpointId, {
            status: 'paused',
            disabled_reason: pausedReason(input),
          });
          await tx.auditChange(
            'webhook_endpoint.paused',
            'webhook_endpoint',
            input.endpointId,
            { status: current.status },
            { status: row.status, disabledReason: row.disabled_reason },
          );
          return { status: 'paused' as const };
        }),
      );
    },
  };
}
