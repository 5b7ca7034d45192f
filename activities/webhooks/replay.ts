// The replay workflow's activity: one attempt to send an event to an endpoint again, on a
// member's request. Like a delivery attempt it is signed when it is sent (a fresh
// `webhook-timestamp`, every valid secret) with the event's own `webhook-id`, so receivers
// deduplicate; it is recorded in the delivery log as kind `replay` with the replay's id, and
// never counts as the sequencer's delivery (db/repositories/webhook-deliveries.ts), so the
// endpoint's in-order stream of new events is untouched by it.
import { findOutboxEvent } from '../../db/repositories/event-outbox.ts';
import { recordWebhookDelivery, wasReplayed } from '../../db/repositories/webhook-deliveries.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import { envelopeOf } from '../../integrations/webhooks/envelope.ts';
import { sendWebhook } from '../../integrations/webhooks/sender.ts';
import { signingSecretsOf } from '../../integrations/webhooks/signing-secrets.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import { disableByDelivery, disabledByDeliveryReason } from './disable-endpoint.ts';

export interface AttemptWebhookReplayInput {
  tenantId: string;
  endpointId: string;
  replayId: string;
  eventId: string;
  /** The replay's attempt number for this event (1, 2, …). */
  attempt: number;
  requestTimeoutMs: number;
}

export interface AttemptWebhookReplayResult {
  outcome:
    | 'delivered'
    /** This replay delivered it already (its activity was retried): nothing was sent. */
    | 'already-delivered'
    /** Not delivered: try again later. */
    | 'retry'
    /** 410 Gone or a refused address: the endpoint was disabled. */
    | 'disabled'
    /** A member disabled or deleted the endpoint. Nothing was sent. */
    | 'endpoint-closed';
  status: number | null;
}

export function createWebhookReplayActivities(deps: ActivityDeps) {
  return {
    /**
     * One attempt of a replay: sends the event to the endpoint as it is now (its URL, its
     * secrets), whatever the endpoint's sequencer is doing, and records the attempt. A paused
     * endpoint still gets replays (a member asked); a disabled or deleted one gets nothing.
     *
     * Retry-safe: an event this replay delivered is not sent again; a retried attempt (the
     * worker died after sending) sends again with the same `webhook-id` and replaces its own
     * log row (replay, event, attempt).
     */
    async attemptWebhookReplay(input: AttemptWebhookReplayInput): Promise<AttemptWebhookReplayResult> {
      return tenantStep(deps, input, async (step) => {
        const { tenantId, endpointId, replayId, eventId } = input;
        const found = await withTenantScope(deps.dataSource, tenantId, async (db) => ({
          endpoint: await findWebhookEndpoint(db, tenantId, endpointId),
          replayed: await wasReplayed(db, tenantId, replayId, eventId),
          event: await findOutboxEvent(db, tenantId, eventId),
        }));
        const { endpoint, replayed, event } = found;
        if (!endpoint || endpoint.status === 'disabled') return { outcome: 'endpoint-closed', status: null };
        if (replayed) return { outcome: 'already-delivered', status: null };
        if (!event) throw new Error(`Event ${eventId} is not in tenant ${tenantId}'s outbox.`);

        const attempt = await sendWebhook(deps.outbound, {
          url: endpoint.url,
          id: eventId,
          body: JSON.stringify(envelopeOf(event)),
          secrets: await signingSecretsOf(deps.secretStore, endpoint, new Date()),
          // Signed when sent, by the same clock as deliveries (delivery.ts).
          sentAt: deps.webhookSigningClock(),
          timeoutMs: input.requestTimeoutMs,
        });
        return step.locked(async (tx) => {
          // The endpoint may have been deleted while the request was out: nothing to record then.
          const current = await findWebhookEndpoint(tx.db, tenantId, endpointId, { lock: true });
          if (!current) return { outcome: 'endpoint-closed', status: attempt.status };
          await recordWebhookDelivery(tx.db, {
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
            kind: 'replay',
            replay_id: replayId,
          });
          if (attempt.outcome === 'delivered') return { outcome: 'delivered', status: attempt.status };
          if (attempt.outcome === 'retry') return { outcome: 'retry', status: attempt.status };
          await disableByDelivery(tx, current, disabledByDeliveryReason(attempt, eventId));
          return { outcome: 'disabled', status: attempt.status };
        });
      });
    },
  };
}
