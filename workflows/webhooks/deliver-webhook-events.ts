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
//   shows why, the owners are mailed) and the queue waits, in order, keeping new events; a
//   member re-enabling it sends `resumeDelivery` and delivery goes on with the same event.
// - Paused and not re-enabled `disableAfterMs` after that first failure: the endpoint is
//   disabled (owners mailed again) and the sequencer ends, dropping its queue.
// - The tenant is suspended: nothing is sent (the attempt says so); the queue waits, in
//   order, until reactivation sends `resumeDelivery` (or a re-check timer finds it active).
// - 410 Gone, or an address the outbound guard refuses: the endpoint is disabled at once and
//   the sequencer ends; so it does when a member disables or deletes the endpoint.
// - Nothing to deliver for `idleTimeoutMs`: it ends; the dispatcher's next signal-with-start
//   begins a new run. A long life continues as new, carrying its queue.
import {
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks/index.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type {
  DeliverWebhookEventsInput,
  DeliverWebhookEventsResult,
  DeliveryState,
  HeadProgress,
  QueuedEvent,
  SequencerEnd,
  WebhookEndpointStep,
} from './contract.ts';
import {
  DEFAULT_DISABLE_AFTER_MS,
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

/**
 * The paused wait got a timer (disable after `disableAfterMs`). Sequencers that paused before
 * it wait for a member only, as they did.
 */
export const DISABLE_PAUSED_ENDPOINTS_PATCH = 'webhook-disable-paused-endpoints';

export async function deliverWebhookEvents(input: DeliverWebhookEventsInput): Promise<DeliverWebhookEventsResult> {
  const { tenantId, endpointId, policy } = input;
  const disableAfterMs = policy.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS;
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
  let head: HeadProgress | null = input.head ?? null;
  let resumed = false;
  /**
   * A pause ended: the next attempt that is sent starts a new failing round. (One that finds
   * the endpoint still paused, after a stray wake-up, keeps the round and its deadline.)
   */
  let pauseEnded = false;
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
      head: head ?? undefined,
    });
  const tooLong = () => state.delivered >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested;

  /**
   * Waits for a member to re-enable the endpoint, at most until `disableAfterMs` after the
   * head's first failure; then disables it. A long wait continues as new, still paused.
   * Says why the sequencer must end, if it must.
   */
  async function waitWhilePaused(paused: HeadProgress): Promise<SequencerEnd | null> {
    state.status = 'paused';
    if (!patched(DISABLE_PAUSED_ENDPOINTS_PATCH)) {
      await condition(() => resumed || workflowInfo().continueAsNewSuggested);
    } else {
      const failingSince = (paused.failingSince ??= Date.now());
      const untilDisabled = failingSince + disableAfterMs - Date.now();
      const woken = await condition(() => resumed || workflowInfo().continueAsNewSuggested, Math.max(1, untilDisabled));
      if (!woken) {
        const outcome = await activities.disablePausedWebhookEndpoint({
          tenantId,
          endpointId,
          eventId: paused.eventId,
          failingSince: new Date(failingSince).toISOString(),
          attempts: paused.attempts,
          disableAfterMs,
          dropped: queue.length,
        });
        if (outcome.status === 'disabled') return 'disabled-by-delivery';
        if (outcome.status === 'closed') return 'endpoint-closed';
        // Enabled again by a member whose resume signal did not arrive: deliver again.
        resumed = true;
      }
    }
    if (!resumed) await carryOver(true);
    resumed = false;
    pauseEnded = true;
    return null;
  }

  /**
   * The tenant is suspended: waits for its reactivation's `resumeDelivery`, re-checking after
   * the longest retry interval should that signal be lost. Time held is not time failing.
   */
  async function waitWhileTenantSuspended(held: HeadProgress): Promise<void> {
    state.status = 'tenant-suspended';
    await condition(() => resumed || workflowInfo().continueAsNewSuggested, policy.maxIntervalMs);
    held.failingSince = null;
    if (!resumed && workflowInfo().continueAsNewSuggested) await carryOver(false);
    resumed = false;
  }

  /** Delivers one event, however many attempts it takes; says why the sequencer must end, if it must. */
  async function deliver(event: QueuedEvent): Promise<SequencerEnd | null> {
    if (head?.eventId !== event.eventId) head = { eventId: event.eventId, attempts: 0, failingSince: null };
    const progress = head;
    for (;;) {
      const startedAt = Date.now();
      state.status = 'delivering';
      state.current = { eventId: event.eventId, attempt: progress.attempts + 1 };
      const result = await activities.attemptWebhookDelivery({
        tenantId,
        endpointId,
        eventId: event.eventId,
        sequence: event.sequence,
        attempt: progress.attempts + 1,
        requestTimeoutMs: policy.requestTimeoutMs,
      });
      if (pauseEnded && (result.outcome === 'retry' || result.outcome === 'delivered')) {
        pauseEnded = false;
        progress.failingSince = null;
      }
      switch (result.outcome) {
        case 'delivered':
        case 'already-delivered':
          head = null;
          return null;
        case 'disabled':
          return 'disabled-by-delivery';
        case 'endpoint-closed':
          return 'endpoint-closed';
        case 'paused': {
          const end = await waitWhilePaused(progress);
          if (end) return end;
          continue;
        }
        case 'tenant-suspended':
          await waitWhileTenantSuspended(progress);
          continue;
        case 'retry':
          break;
      }
      progress.attempts += 1;
      progress.failingSince ??= startedAt;
      if (Date.now() - progress.failingSince >= policy.pauseAfterMs) {
        const paused = await activities.pauseWebhookEndpoint({
          tenantId,
          endpointId,
          eventId: event.eventId,
          failingSince: new Date(progress.failingSince).toISOString(),
          attempts: progress.attempts,
          disableAt: new Date(progress.failingSince + disableAfterMs).toISOString(),
        });
        if (paused.status === 'closed') return 'endpoint-closed';
        const end = await waitWhilePaused(progress);
        if (end) return end;
        continue;
      }
      state.status = 'retrying';
      await sleep(retryDelayMs(policy, progress.attempts, jitterOf(event.eventId, progress.attempts)));
    }
  }

  function ended(end: SequencerEnd): DeliverWebhookEventsResult {
    log.info('Webhook sequencer ends', { endpointId, end, dropped: queue.length });
    return { endpointId, end, delivered: state.delivered, dropped: queue.length };
  }

  async function run(): Promise<DeliverWebhookEventsResult> {
    if (input.paused && queue[0]) {
      // Runs carried over before `head` existed: their deadline counts from this run's start.
      head ??= { eventId: queue[0].eventId, attempts: 0, failingSince: null };
      const end = await waitWhilePaused(head);
      if (end) return ended(end);
    }
    for (;;) {
      if (queue.length === 0) {
        state.status = 'idle';
        state.current = null;
        if (!(await condition(() => queue.length > 0, policy.idleTimeoutMs)))
          return { endpointId, end: 'idle', delivered: state.delivered, dropped: 0 };
      }
      if (tooLong()) await carryOver(false);
      const end = await deliver(queue[0]!);
      if (end) return ended(end);
      queue.shift();
      state.delivered += 1;
    }
  }

  const result = await tracker.run('deliver', run);
  tracker.setPhase('completed');
  return result;
}
