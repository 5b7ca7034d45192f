// Webhook endpoints: a tenant's HTTPS addresses that receive its events (contracts/events.ts),
// each with the event types it wants and a signing secret (Standard Webhooks, `whsec_…`),
// shown once when created or rotated. Routes: /api/v1/tenants/:slug/webhooks.
import { z } from 'zod';
import { duration, TenantPath } from './common.ts';
import { EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from './events.ts';
import { OperationSummary } from './operations.ts';

export const WEBHOOK_URL_MAX_LENGTH = 2048;
/** How long the previous secret stays valid after a rotation, by default and at most. */
export const WEBHOOK_ROTATION_DEFAULT_GRACE_MS = 24 * 3_600_000;
export const WEBHOOK_ROTATION_MAX_GRACE_MS = 7 * 86_400_000;

/** An event type an endpoint may subscribe to. */
export const WebhookEventType = z.enum(SUBSCRIBABLE_EVENT_TYPES, {
  error: (issue) =>
    issue.input === 'webhook.test'
      ? 'webhook.test is sent only by "Send test event"; endpoints do not subscribe to it.'
      : `"${String(issue.input)}" is not an event type; see the event catalogue.`,
});

/** Any event type of the catalogue (the delivery log's filter: test events included). */
export const AnyEventType = z.enum(EVENT_TYPES, {
  error: (issue) => `"${String(issue.input)}" is not an event type; see the event catalogue.`,
});

/** The URL's form; which addresses it may reach is checked by the API (outbound guard). */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'Enter an absolute https:// URL.' })
  .max(WEBHOOK_URL_MAX_LENGTH, `Use at most ${WEBHOOK_URL_MAX_LENGTH} characters.`)
  .refine((value) => {
    // zod runs refinements after a failed check too: a value that is no URL is reported above.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'Put no user name or password in the URL; verify the signature instead.')
  .refine((value) => !value.includes('#'), 'A URL with a #fragment cannot be called.');

const eventTypes = z
  .array(WebhookEventType)
  .min(1, 'Choose at least one event type.')
  .max(SUBSCRIBABLE_EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, 'Name each event type once.');

const description = z.string().trim().max(500, 'Use at most 500 characters.');

export const CreateWebhookEndpointRequest = z
  .strictObject({ url: WebhookUrl, description: description.default(''), eventTypes })
  .meta({ id: 'CreateWebhookEndpointRequest' });
export type CreateWebhookEndpointRequest = z.input<typeof CreateWebhookEndpointRequest>;

export const UpdateWebhookEndpointRequest = z
  .strictObject({
    url: WebhookUrl.optional(),
    description: description.optional(),
    eventTypes: eventTypes.optional(),
    enabled: z.boolean().optional().meta({ description: 'false disables the endpoint: nothing is delivered to it.' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'Send at least one field to change.')
  .meta({ id: 'UpdateWebhookEndpointRequest' });
export type UpdateWebhookEndpointRequest = z.input<typeof UpdateWebhookEndpointRequest>;

export const RotateWebhookSecretRequest = z
  .strictObject({
    gracePeriod: duration
      .refine(
        (ms) => ms >= 0 && ms <= WEBHOOK_ROTATION_MAX_GRACE_MS,
        'must be at most 7d (0s ends the old secret at once)',
      )
      .optional()
      .meta({ description: 'How long the previous secret stays valid (both sign every delivery). Default 24h.' }),
  })
  .meta({ id: 'RotateWebhookSecretRequest' });
export type RotateWebhookSecretRequest = z.input<typeof RotateWebhookSecretRequest>;

/**
 * `paused`: delivery kept failing (WEBHOOK_PAUSE_AFTER); its events wait in order until a
 * member re-enables it. `disabled`: by a member, or by delivery (410 Gone, or left paused past
 * WEBHOOK_DISABLE_AFTER); nothing is queued.
 */
export const WebhookEndpointStatus = z.enum(['enabled', 'paused', 'disabled']);

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    status: WebhookEndpointStatus,
    /** Why it is paused or disabled: a member did it, the endpoint answered 410 Gone, … */
    disabledReason: z.string().nullable(),
    /** Until when the secret before the last rotation still signs deliveries (null: none does). */
    previousSecretExpiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpoint) }).meta({ id: 'WebhookEndpointList' });
export type WebhookEndpointList = z.infer<typeof WebhookEndpointList>;

/** The answer to a create or a rotation: the signing secret, shown this once. */
export const WebhookEndpointWithSecret = z
  .object({
    endpoint: WebhookEndpoint,
    secret: z.string().meta({ description: 'The signing secret (`whsec_…`), shown this once.' }),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecret>;

export const WebhookEndpointPath = TenantPath.extend({ endpointId: z.uuid('Must be an endpoint id (UUID).') });

export const WEBHOOK_DELIVERY_OUTCOMES = ['delivered', 'retry', 'gone', 'refused'] as const;
/** Who made an attempt: the endpoint's sequencer, a replay, or the test-send button. */
export const WEBHOOK_DELIVERY_KINDS = ['delivery', 'replay', 'test'] as const;

export const WebhookDeliveryListQuery = z.strictObject({
  outcome: z.enum(WEBHOOK_DELIVERY_OUTCOMES).optional(),
  kind: z.enum(WEBHOOK_DELIVERY_KINDS).optional(),
  eventType: AnyEventType.optional(),
  eventId: z.uuid('Must be an event id (UUID).').optional(),
  cursor: z
    .string()
    .regex(/^[0-9]{1,19}$/, 'Pass the nextCursor of a previous page unchanged.')
    .optional(),
  limit: z.coerce.number().int().min(1, 'Use 1 to 200.').max(200, 'Use 1 to 200.').default(50),
});
export type WebhookDeliveryListQuery = z.input<typeof WebhookDeliveryListQuery>;

/** One attempt to deliver an event to an endpoint. */
export const WebhookDeliveryAttempt = z
  .object({
    id: z.string(),
    eventId: z.uuid().meta({ description: 'The event id: the `webhook-id` header of every attempt.' }),
    eventType: z.string(),
    attempt: z.int().positive().meta({ description: 'Which attempt at this event (1, 2, …).' }),
    outcome: z.enum(WEBHOOK_DELIVERY_OUTCOMES).meta({
      description:
        'delivered (2xx); retry (another status, a timeout or a network error: tried again later); gone (410: the endpoint was disabled); refused (the address is not allowed: disabled).',
    }),
    statusCode: z.int().nullable().meta({ description: 'The HTTP status; null when no answer came.' }),
    durationMs: z.int().nonnegative(),
    responseExcerpt: z.string().meta({ description: 'The first kilobyte of the answer.' }),
    error: z.string().nullable().meta({ description: 'What went wrong without an answer.' }),
    url: z.string(),
    kind: z.enum(WEBHOOK_DELIVERY_KINDS).meta({
      description:
        "delivery (the endpoint's in-order delivery); replay (a replay a member asked for: replayId names it); test (the test-send button).",
    }),
    replayId: z.uuid().nullable(),
    attemptedAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });
export type WebhookDeliveryAttempt = z.infer<typeof WebhookDeliveryAttempt>;

export const WebhookDeliveryPage = z
  .object({ items: z.array(WebhookDeliveryAttempt), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveryPage' });
export type WebhookDeliveryPage = z.infer<typeof WebhookDeliveryPage>;

/** The widest time range one replay covers, and the most events it sends. */
export const WEBHOOK_REPLAY_MAX_RANGE_MS = 31 * 86_400_000;
export const WEBHOOK_REPLAY_MAX_EVENTS = 1000;

const replayTime = z.iso.datetime({ offset: true, error: 'Use an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z.' });

/**
 * Replay one event an endpoint was sent (`eventId`), or every event in [from, to) the
 * endpoint subscribes to, in the order they happened. Each replay sends with the event's own
 * `webhook-id`, signed afresh.
 */
export const ReplayWebhookEventsRequest = z
  .strictObject({
    eventId: z
      .uuid('Must be an event id (UUID).')
      .optional()
      .meta({ description: 'One event sent to this endpoint before (its `webhook-id`).' }),
    from: replayTime.optional().meta({ description: 'The start of the range (included).' }),
    to: replayTime.optional().meta({ description: 'The end of the range (excluded); a time after now means now.' }),
  })
  .superRefine((body, ctx) => {
    if (body.eventId !== undefined) {
      if (body.from !== undefined || body.to !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['eventId'],
          message: 'Replay one event (eventId) or a time range (from and to), not both.',
        });
      return;
    }
    if (body.from === undefined)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'Say where the range starts, or replay one event.' });
    if (body.to === undefined)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Say where the range ends, or replay one event.' });
    if (body.from === undefined || body.to === undefined) return;
    const span = Date.parse(body.to) - Date.parse(body.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'Must be after from.' });
    else if (span > WEBHOOK_REPLAY_MAX_RANGE_MS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Replay at most 31 days at once.' });
  })
  .meta({ id: 'ReplayWebhookEventsRequest' });
export type ReplayWebhookEventsRequest = z.input<typeof ReplayWebhookEventsRequest>;

export const WebhookReplay = z
  .object({
    id: z.uuid().meta({ description: 'The replay; its attempts carry it as replayId in the delivery log.' }),
    endpointId: z.uuid(),
    eventId: z.uuid().nullable().meta({ description: 'The one event replayed, if one was asked for.' }),
    from: z.iso.datetime().nullable(),
    to: z.iso.datetime().nullable().meta({ description: 'The end of the range as used (never after the request).' }),
    events: z.int().positive().meta({ description: 'How many events it sends, in order.' }),
  })
  .meta({ id: 'WebhookReplay' });
export type WebhookReplay = z.infer<typeof WebhookReplay>;

export const WebhookReplayStarted = z
  .object({ replay: WebhookReplay, operation: OperationSummary })
  .meta({ id: 'WebhookReplayStarted' });
export type WebhookReplayStarted = z.infer<typeof WebhookReplayStarted>;

export const SendWebhookTestRequest = z.strictObject({}).meta({ id: 'SendWebhookTestRequest' });
export type SendWebhookTestRequest = z.input<typeof SendWebhookTestRequest>;

/** The answer to "Send test event": the one attempt, as the delivery log records it. */
export const WebhookTestResult = z
  .object({
    eventId: z.uuid().meta({ description: 'The test event (`webhook.test`): its `webhook-id`.' }),
    attempt: WebhookDeliveryAttempt,
  })
  .meta({ id: 'WebhookTestResult' });
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;
