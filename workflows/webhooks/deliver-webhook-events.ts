// deliverWebhookEvents: the sequencer of one webhook endpoint. It delivers the endpoint's
// events one at a time in the order they committed: the next event waits until the one
// before it was delivered. Each attempt is one activity that signs the request when it sends
// it (so an attempt hours later still carries a fresh timestamp) and records itself in the
// delivery log.
//
// - A 2xx delivers the event; the next one goes.
// - Another answer, a timeout or a network error: the same event again after an exponential
//   backoff with jitter (DeliveryPolicy), the events behind it waiting.
// - Still failing `pauseAfterMs` after its first attempt: the endpoint is paused (the portal
//   shows why) and the queue waits, in order, keeping new events; a member re-enabling it
//   sends `resumeDelivery` and delivery goes on with the same event.
// - 410 Gone, or an address the outbound guard refuses: the endpoint is disabled at once and
//   the sequencer ends; so it does when a member disables or deletes the endpoint.
// - Nothing to deliver for `idleTimeoutMs`: it ends; the dispatcher's next signal-with-start
//   begins a new run. A long life continues as new, carrying its queue.
import { condition, continueAsNew, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks/index.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type {
  DeliverWebhookEventsInput,
  DeliverWebhookEventsResult,
  DeliveryState,
  QueuedEvent,
  SequencerEnd,
  WebhookEndpointStep,
} from './contract.ts';
import {
  enqueueEventsSignal,
  getDeliveryStateQuery,
  resumeDeliverySignal,
  jitterOf,
  retryDelayMs,
  WEBHOOK_ENDPOINT_KIND,
  WEBHOOK_ENDPOINT_STEPS,
} from './contract.ts';

/** Events delivered by one run before it continues as new (its history stays small). */
const EVENTS_PER_RUN = 200;

export async function deliverWebhookEvents(input: DeliverWebhookEventsInput): Promise<DeliverWebhookEventsResult> {
  const { tenantId, endpointId, policy } = input;
  const activities = proxyActivities<WebhookActivities>({
    // One attempt is one HTTP request with its own time limit, plus the database around it.
    startToCloseTimeout: policy.requestTimeoutMs + 30_000,
    heartbeatTimeout: 10_000,
    // Only for what the activity could not record (a dead worker, the database away): the
    // receiver's answers are results, never activity failures. No limit: order would break.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<WebhookEndpointStep>(WEBHOOK_ENDPOINT_KIND, tenantId, WEBHOOK_ENDPOINT_STEPS);

  const queue: QueuedEvent[] = [...(input.queue ?? [])];
  let lastSequence = BigInt(input.lastSequence ?? '0');
  let resumed = false;
  const state: DeliveryState = { status: 'idle', queued: 0, current: null, delivered: 0 };

  setHandler(enqueueEventsSignal, (events) => {
    // The dispatcher hands a tenant's events over in commit order; one it handed over before
    // (a dispatcher that stopped before recording the hand-over) is dropped here.
    for (const event of [...events].sort((a, b) => (BigInt(a.sequence) < BigInt(b.sequence) ? -1 : 1))) {
      if (BigInt(event.sequence) <= lastSequence) continue;
      queue.push(event);
      lastSequence = BigInt(event.sequence);
    }
  });
  setHandler(resumeDeliverySignal, () => {
    resumed = true;
  });
  setHandler(getDeliveryStateQuery, () => ({ ...state, queued: queue.length }));

  const carryOver = (paused: boolean): Promise<never> =>
    continueAsNew<typeof deliverWebhookEvents>({
      ...input,
      queue: [...queue],
      lastSequence: lastSequence.toString(),
      paused,
    });
  const tooLong = () => state.delivered >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested;

  /** Waits for a member to re-enable the endpoint; a long wait continues as new, still paused. */
  async function waitWhilePaused(): Promise<void> {
    state.status = 'paused';
    await condition(() => resumed || workflowInfo().continueAsNewSuggested);
    if (!resumed) await carryOver(true);
    resumed = false;
  }

  /** Delivers one event, however many attempts it takes; says why the sequencer must end, if it must. */
  async function deliver(event: QueuedEvent): Promise<SequencerEnd | null> {
    let attempt = 0;
    let failingSince = Date.now();
    for (;;) {
      attempt += 1;
      state.status = 'delivering';
      state.current = { eventId: event.eventId, attempt };
      const result = await activities.attemptWebhookDelivery({
        tenantId,
        endpointId,
        eventId: event.eventId,
        sequence: event.sequence,
        attempt,
        requestTimeoutMs: policy.requestTimeoutMs,
      });
      switch (result.outcome) {
        case 'delivered':
        case 'already-delivered':
          return null;
        case 'disabled':
          return 'disabled-by-delivery';
        case 'endpoint-closed':
          return 'endpoint-closed';
        case 'paused':
          await waitWhilePaused();
          failingSince = Date.now();
          continue;
        case 'retry':
          break;
      }
      if (Date.now() - failingSince >= policy.pauseAfterMs) {
        const paused = await activities.pauseWebhookEndpoint({
          tenantId,
          endpointId,
          eventId: event.eventId,
          failingSince: new Date(failingSince).toISOString(),
          attempts: attempt,
        });
        if (paused.status === 'closed') return 'endpoint-closed';
        await waitWhilePaused();
        failingSince = Date.now();
        continue;
      }
      state.status = 'retrying';
      await sleep(retryDelayMs(policy, attempt, jitterOf(event.eventId, attempt)));
    }
  }

  async function run(): Promise<DeliverWebhookEventsResult> {
    if (input.paused) await waitWhilePaused();
    for (;;) {
      if (queue.length === 0) {
        state.status = 'idle';
        state.current = null;
        if (!(await condition(() => queue.length > 0, policy.idleTimeoutMs)))
          return { endpointId, end: 'idle', delivered: state.delivered, dropped: 0 };
      }
      if (tooLong()) await carryOver(false);
      const end = await deliver(queue[0]!);
      if (end) {
        log.info('Webhook sequencer ends', { endpointId, end, dropped: queue.length });
        return { endpointId, end, delivered: state.delivered, dropped: queue.length };
      }
      queue.shift();
      state.delivered += 1;
    }
  }

  const result = await tracker.run('deliver', run);
  tracker.setPhase('completed');
  return result;
}
