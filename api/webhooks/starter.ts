// Hands events to an endpoint's sequencer (deliverWebhookEvents), starting it when it is not
// running: signal-with-start on `webhook-endpoint/<slug>/<endpoint id>`, so however many
// dispatchers there are, an endpoint has one sequencer. And wakes a paused one. And starts
// replays (replayWebhookEvents).
import { WorkflowNotFoundError } from '@temporalio/client';
import type { deliverWebhookEvents } from '../../workflows/webhooks/deliver-webhook-events.ts';
import type { replayWebhookEvents } from '../../workflows/webhooks/replay-webhook-events.ts';
import type { DeliveryPolicy, QueuedEvent, ReplayWebhookEventsInput } from '../../workflows/webhooks/contract.ts';
import {
  enqueueEventsSignal,
  resumeDeliverySignal,
  WEBHOOK_ENDPOINT_KIND,
  WEBHOOK_REPLAY_KIND,
  webhookEndpointWorkflowId,
  webhookReplayWorkflowId,
} from '../../workflows/webhooks/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { signalWithStartOperation, startOperation } from '../operations/start-operation.ts';

export function enqueueWebhookEvents(
  options: Pick<StarterOptions, 'client' | 'taskQueuePrefix'>,
  input: { tenantId: string; slug: string; endpointId: string; policy: DeliveryPolicy; events: QueuedEvent[] },
): Promise<{ workflowId: string; runId: string }> {
  const { tenantId, slug, endpointId, policy, events } = input;
  return signalWithStartOperation(options, {
    kind: WEBHOOK_ENDPOINT_KIND,
    workflowId: webhookEndpointWorkflowId(slug, endpointId),
    tenantId,
    args: [{ tenantId, slug, endpointId, policy }] satisfies Parameters<typeof deliverWebhookEvents>,
    signal: enqueueEventsSignal.name,
    signalArgs: [events] satisfies [QueuedEvent[]],
  });
}

/**
 * Tells a paused endpoint's sequencer to go on (a member re-enabled the endpoint). No running
 * sequencer is fine: the next event starts one.
 */
export async function resumeWebhookDelivery(
  options: Pick<StarterOptions, 'client'>,
  input: { slug: string; endpointId: string },
): Promise<void> {
  try {
    await options.client.workflow
      .getHandle(webhookEndpointWorkflowId(input.slug, input.endpointId))
      .signal(resumeDeliverySignal);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/**
 * Starts a replay: a workflow of its own per request (`webhook-replay/<slug>/<endpoint
 * id>/<replay id>`), beside the endpoint's sequencer. The replay id is new for each request,
 * so the start is idempotent only through the route's Idempotency-Key.
 */
export function startWebhookReplay(options: StarterOptions, input: ReplayWebhookEventsInput): Promise<StartResult> {
  return startOperation(options, {
    kind: WEBHOOK_REPLAY_KIND,
    workflowId: webhookReplayWorkflowId(input.slug, input.endpointId, input.replayId),
    tenantId: input.tenantId,
    args: [input] satisfies Parameters<typeof replayWebhookEvents>,
  });
}
