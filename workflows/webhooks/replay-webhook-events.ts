// replayWebhookEvents: sends events an endpoint was sent before (or every event of a time
// range it subscribes to) once more, on a member's request, in the order they committed. It
// runs beside the endpoint's sequencer, never inside it: new events keep their own order and
// never wait for a replay, and a replayed event that keeps failing holds up nothing but the
// replay. Receivers recognise a replayed event by its `webhook-id` (the event's id).
//
// - Each event is one activity attempt after another (signed when sent, recorded in the
//   delivery log as kind `replay`), retried with the delivery policy's backoff and jitter.
// - An event still failing `pauseAfterMs` after its first attempt stops the replay (nothing
//   is paused: the endpoint's own delivery is not the replay's to hold up); so does 410 Gone
//   or a refused address (the endpoint is disabled, as delivery would), or a member disabling
//   or deleting the endpoint. The operation then fails, saying where it stopped.
import { ApplicationFailure, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks/index.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type {
  QueuedEvent,
  ReplayEnd,
  ReplayWebhookEventsInput,
  ReplayWebhookEventsResult,
  WebhookReplayStep,
} from './contract.ts';
import { jitterOf, retryDelayMs, WEBHOOK_REPLAY_KIND, WEBHOOK_REPLAY_STEPS } from './contract.ts';

const STOPPED: Record<Exclude<ReplayEnd, 'completed'>, string> = {
  'gave-up': 'kept failing',
  'disabled-by-delivery': 'made delivery disable the endpoint (410 Gone or a refused address)',
  'endpoint-closed': 'found the endpoint disabled or deleted',
};

export async function replayWebhookEvents(input: ReplayWebhookEventsInput): Promise<ReplayWebhookEventsResult> {
  const { tenantId, endpointId, replayId, policy, events } = input;
  const activities = proxyActivities<WebhookActivities>({
    // One attempt is one HTTP request with its own time limit, plus the database around it.
    startToCloseTimeout: policy.requestTimeoutMs + 30_000,
    heartbeatTimeout: 10_000,
    // Only for what the activity could not record (a dead worker, the database away): the
    // receiver's answers are results, never activity failures.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<WebhookReplayStep>(WEBHOOK_REPLAY_KIND, tenantId, WEBHOOK_REPLAY_STEPS);

  /** Sends one event again, however many attempts it takes; how it ended. */
  async function replay(event: QueuedEvent): Promise<ReplayEnd> {
    const firstAttemptAt = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      const result = await activities.attemptWebhookReplay({
        tenantId,
        endpointId,
        replayId,
        eventId: event.eventId,
        attempt,
        requestTimeoutMs: policy.requestTimeoutMs,
      });
      switch (result.outcome) {
        case 'delivered':
        case 'already-delivered':
          return 'completed';
        case 'disabled':
          return 'disabled-by-delivery';
        case 'endpoint-closed':
          return 'endpoint-closed';
        case 'retry':
          break;
      }
      if (Date.now() - firstAttemptAt >= policy.pauseAfterMs) return 'gave-up';
      await sleep(retryDelayMs(policy, attempt, jitterOf(event.eventId, attempt)));
    }
  }

  let delivered = 0;
  const stopped = await tracker.run('replay', async () => {
    for (const event of events) {
      const end = await replay(event);
      if (end !== 'completed') return { event, end };
      delivered += 1;
    }
    return null;
  });

  const counts = { replayId, endpointId, delivered, notSent: events.length - delivered };
  if (stopped === null) {
    tracker.setPhase('completed');
    return { ...counts, end: 'completed', progress: tracker.snapshot() };
  }
  // The operation fails carrying its progress, so the portal and operators see where it stopped.
  const message = `The replay stopped at event ${stopped.event.eventId}, which ${STOPPED[stopped.end]}: ${delivered} of ${events.length} events were sent again.`;
  log.info('Webhook replay stopped', { ...counts, end: stopped.end });
  tracker.fail('replay', message);
  tracker.setPhase('failed', message);
  throw ApplicationFailure.nonRetryable(message, 'WebhookReplayStopped', tracker.snapshot(), {
    ...counts,
    end: stopped.end,
  });
}
