// The webhooks family's activities: the sequencer's delivery attempt and pause, and a
// replay's attempt.
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createWebhookActivities as createDeliveryActivities } from './delivery.ts';
import { createWebhookReplayActivities } from './replay.ts';

export function createWebhookActivities(deps: ActivityDeps) {
  return { ...createDeliveryActivities(deps), ...createWebhookReplayActivities(deps) };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

export default {
  // Each slot is one endpoint's request in flight (up to WEBHOOK_REQUEST_TIMEOUT); endpoints
  // wait for a slot, never for each other's retries (those are workflow timers).
  defaultActivitySlots: 10,
  createActivities: createWebhookActivities,
} satisfies ActivityFamily;
