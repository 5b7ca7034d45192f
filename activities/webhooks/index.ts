// The webhooks family's activities: the sequencer's delivery attempt (delivery.ts); what it
// does to an endpoint that keeps failing, pausing and then disabling it with a mail to the
// tenant's owners each time (endpoint-health.ts); and a replay's attempt (replay.ts).
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createDeliveryActivities } from './delivery.ts';
import { createEndpointHealthActivities } from './endpoint-health.ts';
import { createWebhookReplayActivities } from './replay.ts';

export function createWebhookActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
    ...createEndpointHealthActivities(deps),
    ...createWebhookReplayActivities(deps),
  };
}
export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

export default {
  // Each slot is one endpoint's request in flight (up to WEBHOOK_REQUEST_TIMEOUT); endpoints
  // wait for a slot, never for each other's retries (those are workflow timers).
  defaultActivitySlots: 10,
  createActivities: createWebhookActivities,
} satisfies ActivityFamily;
