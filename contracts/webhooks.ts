// Webhook endpoints: a tenant's HTTPS addresses that receive its events (contracts/events.ts),
// each with the event types it wants and a signing secret (Standard Webhooks, `whsec_…`),
// shown once when created or rotated. Routes: /api/v1/tenants/:slug/webhooks.
import { z } from 'zod';
import { duration, TenantPath } from './common.ts';
import { EVENT_TYPES } from './events.ts';

export const WEBHOOK_URL_MAX_LENGTH = 2048;
/** How long the previous secret stays valid after a rotation, by default and at most. */
export const WEBHOOK_ROTATION_DEFAULT_GRACE_MS = 24 * 3_600_000;
export const WEBHOOK_ROTATION_MAX_GRACE_MS = 7 * 86_400_000;

export const WebhookEventType = z.enum(EVENT_TYPES, {
  error: (issue) => `"${String(issue.input)}" is not an event type; see the event catalogue.`,
});

/** The URL's form; which addresses it may reach is checked by the API (outbound guard). */
export const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'Enter an absolute https:// URL.' })
  .max(WEBHOOK_URL_MAX_LENGTH, `Use at most ${WEBHOOK_URL_MAX_LENGTH} characters.`)
  .refine((value) => {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'Put no user name or password in the URL; verify the signature instead.')
  .refine((value) => !value.includes('#'), 'A URL with a #fragment cannot be called.');

const eventTypes = z
  .array(WebhookEventType)
  .min(1, 'Choose at least one event type.')
  .max(EVENT_TYPES.length)
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

export const WebhookEndpointStatus = z.enum(['enabled', 'disabled']);

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    status: WebhookEndpointStatus,
    /** Why it is disabled: a member did it, or the endpoint answered 410 Gone, … */
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
