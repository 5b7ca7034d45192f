// The webhooks family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { deliverWebhookEvents } from './deliver-webhook-events.ts';
export { replayWebhookEvents } from './replay-webhook-events.ts';
