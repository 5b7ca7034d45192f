// The webhooks family's activities: the sequencer's delivery attempt and pause.
import type { ActivityFamily } from '../shared/deps.ts';
import { createWebhookActivities } from './delivery.ts';

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

export default {
  // Each slot is one endpoint's request in flight (up to WEBHOOK_REQUEST_TIMEOUT); endpoints
  // wait for a slot, never for each other's retries (those are workflow timers).
  defaultActivitySlots: 10,
  createActivities: createWebhookActivities,
} satisfies ActivityFamily;
