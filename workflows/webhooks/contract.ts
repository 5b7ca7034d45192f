// The contract of the webhooks family: one sequencer workflow per endpoint
// (`webhook-endpoint/<slug>/<endpoint id>`) that delivers the endpoint's events one at a time,
// in the order they committed. The dispatcher (api/webhooks/dispatcher.ts) hands it events
// with signal-with-start; a member re-enabling a paused endpoint, a tenant's reactivation and
// its offboarding send `resumeDelivery`. And replays (below): a workflow per replay a member
// asks for.
import { defineQuery, defineSignal, getExternalWorkflowHandle } from '@temporalio/workflow';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { OperationProgress } from '../shared/operation.contract.ts';
import { seededFraction } from '../shared/seeded-fraction.ts';

export const WEBHOOK_ENDPOINT_KIND = 'webhook-endpoint' satisfies OperationKind;

export function webhookEndpointWorkflowId(slug: string, endpointId: string): string {
  return OPERATION_CATALOGUE[WEBHOOK_ENDPOINT_KIND].workflowId({ slug, endpointId });
}

/**
 * How deliveries are retried, passed in by the dispatcher (WEBHOOK_* settings) so the decision
 * is in history and tests shorten it. Retries back off exponentially with jitter from
 * `initialIntervalMs` up to `maxIntervalMs`; an event still failing `pauseAfterMs` after its
 * first attempt pauses the endpoint, and the events behind it wait in order; a paused endpoint
 * that nobody re-enabled `disableAfterMs` after that first failure is disabled.
 */
export interface DeliveryPolicy {
  initialIntervalMs: number;
  maxIntervalMs: number;
  pauseAfterMs: number;
  /**
   * Paused and not re-enabled this long after the head event's first failure: the endpoint is
   * disabled and its queue dropped (owners mailed both times). Absent in policies handed over
   * before it existed: DEFAULT_DISABLE_AFTER_MS.
   */
  disableAfterMs?: number;
  /** The sequencer ends after this long with nothing to deliver (the next event starts it again). */
  idleTimeoutMs: number;
  /** How long one attempt may wait for the receiver's answer. */
  requestTimeoutMs: number;
}

/** WEBHOOK_DISABLE_AFTER's default, for sequencers whose policy predates it. */
export const DEFAULT_DISABLE_AFTER_MS = 5 * 86_400_000;

/** An event handed to a sequencer: references only (the activity reads the event itself). */
export interface QueuedEvent {
  /** The outbox row's id (a decimal string): a tenant's events commit in this order. */
  sequence: string;
  /** The event id: `webhook-id` of every attempt. */
  eventId: string;
}

export interface DeliverWebhookEventsInput {
  tenantId: string;
  slug: string;
  endpointId: string;
  policy: DeliveryPolicy;
  /** Carried over by continue-as-new: events accepted but not yet delivered, in order. */
  queue?: QueuedEvent[];
  /** Carried over by continue-as-new: the highest sequence accepted (duplicates are dropped). */
  lastSequence?: string;
  /** Carried over by continue-as-new: the endpoint is paused; wait for `resumeDelivery`. */
  paused?: boolean;
  /** Carried over by continue-as-new: how far the head of the queue got (absent: not started). */
  head?: HeadProgress;
}

/** The event at the head of the queue: its attempts so far, and since when it fails. */
export interface HeadProgress {
  eventId: string;
  /** Attempts sent (the delivery log numbers the next one `attempts + 1`). */
  attempts: number;
  /**
   * When the first failing attempt of this round started (ms since the epoch); null while it
   * has not failed. A pause's re-enabling or a suspension's hold starts a new round.
   */
  failingSince: number | null;
}

export type SequencerEnd =
  /** Nothing to deliver for the idle timeout. */
  | 'idle'
  /** The endpoint answered 410 Gone, its address is refused, or it stayed paused too long: it was disabled. */
  | 'disabled-by-delivery'
  /** A member disabled or deleted the endpoint: the queue is dropped. */
  | 'endpoint-closed';

export interface DeliverWebhookEventsResult {
  endpointId: string;
  end: SequencerEnd;
  /** Events delivered by this run. */
  delivered: number;
  /** Events left undelivered when it ended (dropped: the endpoint is closed). */
  dropped: number;
}

/** The sequencer's state, for the portal and operators. */
export interface DeliveryState {
  /** `tenant-suspended`: the tenant is suspended; its events wait for its reactivation. */
  status: 'idle' | 'delivering' | 'retrying' | 'paused' | 'tenant-suspended';
  queued: number;
  /** The event being delivered and its attempt number, if any. */
  current: { eventId: string; attempt: number } | null;
  delivered: number;
}

export const enqueueEventsSignal = defineSignal<[QueuedEvent[]]>('enqueueEvents');
export const resumeDeliverySignal = defineSignal('resumeDelivery');
export const getDeliveryStateQuery = defineQuery<DeliveryState>('getDeliveryState');

/**
 * From another workflow (a tenant's reactivation, its offboarding): wakes the sequencers of
 * these endpoints, so held or paused queues look again at once. A sequencer that is not
 * running needs no waking (the next event starts one, and every attempt reads the tenant's
 * status and the endpoint's), so a failed signal is ignored.
 */
export async function wakeSequencers(slug: string, endpointIds: readonly string[]): Promise<void> {
  await Promise.all(
    endpointIds.map((endpointId) =>
      getExternalWorkflowHandle(webhookEndpointWorkflowId(slug, endpointId))
        .signal(resumeDeliverySignal)
        .catch(() => undefined),
    ),
  );
}

export const WEBHOOK_ENDPOINT_STEPS = [{ name: 'deliver', title: "Deliver the endpoint's events in order" }] as const;
export type WebhookEndpointStep = (typeof WEBHOOK_ENDPOINT_STEPS)[number]['name'];

/**
 * The pause before retry `attempt + 1` (attempt ≥ 1): exponential from the initial interval,
 * capped, with "equal jitter" (half fixed, half random) so endpoints that failed together do
 * not all come back at once. `random` in [0, 1): jitterOf's.
 */
export function retryDelayMs(policy: DeliveryPolicy, attempt: number, random: number): number {
  const exponential = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * 2 ** Math.min(attempt - 1, 40));
  return Math.max(1, Math.round(exponential / 2 + (random * exponential) / 2));
}

/**
 * A number in [0, 1) drawn from the event id and the attempt: deterministic (the workflow
 * replays it), different for each event and attempt, so the retries of events that failed
 * together spread out.
 */
export function jitterOf(eventId: string, attempt: number): number {
  return seededFraction(`${eventId}#${attempt}`);
}

// Replays: a member asks for one event, or every event of a time range, to be sent to an
// endpoint again. Each replay is a workflow of its own (`webhook-replay/<slug>/<endpoint
// id>/<replay id>`), beside the endpoint's sequencer and never inside it: the sequencer's
// queue, its order and its pauses are untouched, and a replay that keeps failing holds up
// no new event. See docs/architecture.md, "Replays and test sends".

export const WEBHOOK_REPLAY_KIND = 'webhook-replay' satisfies OperationKind;

export function webhookReplayWorkflowId(slug: string, endpointId: string, replayId: string): string {
  return OPERATION_CATALOGUE[WEBHOOK_REPLAY_KIND].workflowId({ slug, endpointId, replayId });
}

export interface ReplayWebhookEventsInput {
  tenantId: string;
  slug: string;
  endpointId: string;
  /** Names the replay's attempts in the delivery log. */
  replayId: string;
  /** The events to send again, in the order they committed (references only). */
  events: QueuedEvent[];
  /** Retries as deliveries retry; an event still failing after `pauseAfterMs` ends the replay. */
  policy: DeliveryPolicy;
}

export type ReplayEnd =
  /** Every event was delivered. */
  | 'completed'
  /** An event kept failing for the policy's `pauseAfterMs`: the replay stopped there. */
  | 'gave-up'
  /** The endpoint answered 410 Gone or its address is refused: it was disabled. */
  | 'disabled-by-delivery'
  /** A member disabled or deleted the endpoint. */
  | 'endpoint-closed';

export interface ReplayWebhookEventsResult {
  replayId: string;
  endpointId: string;
  end: ReplayEnd;
  /** Events delivered by the replay, and those it did not send (it stopped first). */
  delivered: number;
  notSent: number;
  progress: OperationProgress;
}

export const WEBHOOK_REPLAY_STEPS = [{ name: 'replay', title: 'Send the events again, in order' }] as const;
export type WebhookReplayStep = (typeof WEBHOOK_REPLAY_STEPS)[number]['name'];
