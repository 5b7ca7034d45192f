// Hands events to an endpoint's sequencer (deliverWebhookEvents), starting it when it is not
// running: signal-with-start on `webhook-endpoint/<slug>/<endpoint id>`, so however many
// dispatchers there are, an endpoint has one sequencer. And wakes a paused one.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { deliverWebhookEvents } from '../../workflows/webhooks/deliver-webhook-events.ts';
import type { DeliveryPolicy, QueuedEvent } from '../../workflows/webhooks/contract.ts';
import {
  enqueueEventsSignal,
  resumeDeliverySignal,
  WEBHOOK_ENDPOINT_KIND,
  webhookEndpointWorkflowId,
} from '../../workflows/webhooks/contract.ts';
import type { StarterOptions } from '../operations/start-operation.ts';
import { signalWithStartOperation } from '../operations/start-operation.ts';

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
