// The event catalogue: every kind of event Atrium emits to tenants, one row each — its
// name, its version, the zod schema of its payload (`data`) and the permission a member
// needs to subscribe an endpoint to it. Pure data, like the operation catalogue
// (workflows/catalogue.ts): the API (emitting, validating subscriptions, OpenAPI), the
// portal and the tests read it.
//
// An event is emitted in the same database transaction as the change it reports
// (db/repositories/event-outbox.ts, `emitEvent`), so it exists exactly when the change
// committed. Adding an event: a row here, then `emitEvent` (or `tx.emit` in an activity)
// next to the change's audit entry (docs/architecture.md, "Events").
//
// Versions: a payload's shape only grows (new optional fields) within a version. A change
// that removes or retypes a field is a new version of the event, a row of its own.
import { z } from 'zod';
import type { Permission } from './members.ts';
import { Role } from './members.ts';

const tenantRef = { tenantId: z.uuid(), slug: z.string() };

/** How a promotion ended (the four promotion events share it; `status` repeats the type's verb). */
const promotionOutcome = z.object({
  environment: z.string(),
  number: z.int().positive(),
  release: z.int().positive(),
  /** The release that ran in the environment before (the one a failed rollout is rolled back to). */
  previousRelease: z.int().positive().nullable(),
  status: z.enum(['succeeded', 'rolled-back', 'failed', 'rejected']),
  detail: z.string().nullable(),
  /** The workflow that ran it: `promotion/<slug>/<environment>/<number>`. */
  operationId: z.string(),
});

/** Which approval request, about what, and the workflow that waits for it. */
const approvalRef = {
  requestId: z.string(),
  subject: z.object({ kind: z.string(), id: z.string(), label: z.string() }),
  operationId: z.string(),
};

export interface EventCatalogueEntry<Payload extends z.ZodType> {
  /** `<resource>.<past-tense verb>`; receivers switch on it. Never renamed. */
  type: string;
  version: number;
  /** The payload of the event (`data` in the delivered body). */
  payload: Payload;
  /** A member may subscribe an endpoint to the event only with this permission. */
  permission: Permission;
  /** What happened, for the portal and the OpenAPI description. */
  description: string;
  /**
   * false: no endpoint subscribes to it; Atrium sends it to one endpoint on request (the
   * test-send button's `webhook.test`). Default: endpoints subscribe to it.
   */
  subscribable?: false;
}

function event<Payload extends z.ZodType>(row: EventCatalogueEntry<Payload>): EventCatalogueEntry<Payload> {
  return row;
}

export const EVENT_CATALOGUE = {
  'tenant.suspended': event({
    type: 'tenant.suspended',
    version: 1,
    payload: z.object({ ...tenantRef, reason: z.string(), suspension: z.int().positive() }),
    permission: 'tenant.read',
    description: "A platform admin suspended the tenant: members and API keys are refused until it's reactivated.",
  }),
  'tenant.reactivated': event({
    type: 'tenant.reactivated',
    version: 1,
    payload: z.object({ ...tenantRef, suspension: z.int().positive() }),
    permission: 'tenant.read',
    description: 'The tenant was reactivated after a suspension.',
  }),
  'tenant.offboarding_started': event({
    type: 'tenant.offboarding_started',
    version: 1,
    payload: z.object({ ...tenantRef, reason: z.string(), previousStatus: z.enum(['active', 'suspended']) }),
    permission: 'tenant.read',
    description: 'Offboarding began: the tenant is closed and will be deleted after its grace period.',
  }),
  'tenant.offboarded': event({
    type: 'tenant.offboarded',
    version: 1,
    payload: z.object({ ...tenantRef }),
    permission: 'tenant.read',
    description: "Offboarding finished: the tenant's resources are deleted.",
  }),
  'member.joined': event({
    type: 'member.joined',
    version: 1,
    payload: z.object({
      userId: z.uuid(),
      email: z.string(),
      role: Role,
      via: z.enum(['signup', 'invitation', 'sso', 'provisioning']),
    }),
    permission: 'members.read',
    description: 'Someone became a member of the tenant.',
  }),
  'member.removed': event({
    type: 'member.removed',
    version: 1,
    payload: z.object({ userId: z.uuid(), role: Role }),
    permission: 'members.read',
    description: 'A member was removed from the tenant.',
  }),
  'member.role_changed': event({
    type: 'member.role_changed',
    version: 1,
    payload: z.object({ userId: z.uuid(), from: Role, to: Role }),
    permission: 'members.read',
    description: "A member's role changed.",
  }),
  'invitation.accepted': event({
    type: 'invitation.accepted',
    version: 1,
    payload: z.object({
      invitationId: z.uuid(),
      userId: z.uuid(),
      email: z.string(),
      role: Role,
      newAccount: z.boolean(),
    }),
    permission: 'members.read',
    description: 'An invitation was accepted.',
  }),
  'api_key.created': event({
    type: 'api_key.created',
    version: 1,
    payload: z.object({
      apiKeyId: z.uuid(),
      name: z.string(),
      prefix: z.string(),
      role: Role,
      expiresAt: z.iso.datetime().nullable(),
    }),
    permission: 'apikeys.read',
    description: 'An API key was created (never the key itself).',
  }),
  'api_key.revoked': event({
    type: 'api_key.revoked',
    version: 1,
    payload: z.object({ apiKeyId: z.uuid(), name: z.string(), prefix: z.string(), role: Role }),
    permission: 'apikeys.read',
    description: 'An API key was revoked.',
  }),
  'sso.connection_changed': event({
    type: 'sso.connection_changed',
    version: 1,
    payload: z.object({
      change: z.enum(['configured', 'updated', 'removed']),
      issuer: z.string(),
      clientId: z.string(),
      enabled: z.boolean(),
      ssoRequired: z.boolean(),
      defaultRole: Role,
    }),
    permission: 'sso.read',
    description: "The tenant's single sign-on connection was configured, changed or removed (never its secret).",
  }),
  'tenant.plan_changed': event({
    type: 'tenant.plan_changed',
    version: 1,
    payload: z.object({ ...tenantRef, from: z.string(), to: z.string(), licenseId: z.uuid() }),
    permission: 'tenant.read',
    description:
      "The tenant's plan changed (a plan change it asked for, or its Stripe subscription changed); a new license was issued for it.",
  }),
  'billing.dunning_started': event({
    type: 'billing.dunning_started',
    version: 1,
    payload: z.object({ ...tenantRef, invoiceId: z.string(), graceEndsAt: z.iso.datetime() }),
    permission: 'tenant.read',
    description:
      'A payment failed: the tenant is in dunning, and is suspended unless the invoice is paid by graceEndsAt.',
  }),
  'billing.dunning_ended': event({
    type: 'billing.dunning_ended',
    version: 1,
    payload: z.object({ ...tenantRef, invoiceId: z.string(), liftedSuspension: z.int().positive().nullable() }),
    permission: 'tenant.read',
    description: 'The unpaid invoices were paid: dunning ended (and the billing suspension, if any, was lifted).',
  }),
  'secret.rotated': event({
    type: 'secret.rotated',
    version: 1,
    payload: z.object({
      secretId: z.uuid(),
      name: z.string(),
      rotation: z.int().positive(),
      fromVersion: z.int().positive(),
      toVersion: z.int().positive(),
      overlapUntil: z.iso.datetime(),
    }),
    permission: 'secrets.read',
    description:
      'A secret was rotated: every consumer was verified with the new version, now current; the old one stays valid until overlapUntil (never a value).',
  }),
  'secret.rotation_failed': event({
    type: 'secret.rotation_failed',
    version: 1,
    payload: z.object({
      secretId: z.uuid(),
      name: z.string(),
      rotation: z.int().positive(),
      outcome: z.enum(['rolled_back', 'failed', 'unconfirmed']),
      currentVersion: z.int().positive(),
      reason: z.string(),
    }),
    permission: 'secrets.read',
    description:
      'A rotation did not finish: rolled back (the old version is current and still valid), failed before it changed anything, or a manual rotation nobody confirmed.',
  }),
  'database_login.rotated': event({
    type: 'database_login.rotated',
    version: 1,
    payload: z.object({
      rotationId: z.string(),
      fromLogin: z.string(),
      toLogin: z.string(),
      verified: z.array(z.string()),
      oldValidUntil: z.iso.datetime(),
    }),
    permission: 'tenant.read',
    description:
      "The tenant's database login was rotated (docs/decisions/0032): every consumer connected as the new login, now current; the old login keeps working until oldValidUntil (never a password).",
  }),
  'database_login.rotation_failed': event({
    type: 'database_login.rotation_failed',
    version: 1,
    payload: z.object({ rotationId: z.string(), currentLogin: z.string().nullable(), reason: z.string() }),
    permission: 'tenant.read',
    description:
      "A rotation of the tenant's database login was rolled back: the login in use before is current and still valid.",
  }),
  'promotion.succeeded': event({
    type: 'promotion.succeeded',
    version: 1,
    payload: promotionOutcome,
    permission: 'environments.read',
    description:
      'A promotion ended succeeded: its release is available in the environment (or was recorded without a cluster).',
  }),
  'promotion.failed': event({
    type: 'promotion.failed',
    version: 1,
    payload: promotionOutcome,
    permission: 'environments.read',
    description:
      'A promotion ended failed: refused by its checks, its rollout failed with no release to roll back to, or its tenant was offboarded while it was open (detail says which).',
  }),
  'promotion.rolled_back': event({
    type: 'promotion.rolled_back',
    version: 1,
    payload: promotionOutcome,
    permission: 'environments.read',
    description:
      'A promotion ended rolled back: its release did not become available, and previousRelease is available again.',
  }),
  'promotion.rejected': event({
    type: 'promotion.rejected',
    version: 1,
    payload: promotionOutcome,
    permission: 'environments.read',
    description: 'A promotion ended rejected: its approval was rejected, or nobody decided in time.',
  }),
  'approval.requested': event({
    type: 'approval.requested',
    version: 1,
    payload: z.object({
      ...approvalRef,
      requesterId: z.uuid().nullable(),
      rule: z.string(),
      expiresAt: z.iso.datetime(),
    }),
    permission: 'tenant.read',
    description:
      "An approval request was opened (a promotion the environment's policy asks an approval for); expiresAt ends its first stage.",
  }),
  'approval.decided': event({
    type: 'approval.decided',
    version: 1,
    payload: z.object({
      ...approvalRef,
      status: z.enum(['approved', 'rejected', 'expired']),
      reason: z.string().nullable(),
      decidedBy: z.uuid().nullable(),
    }),
    permission: 'tenant.read',
    description:
      'An approval request was closed: approved, rejected (by an approver, or because its tenant was offboarded: reason says why) or expired (nobody decided in time).',
  }),
  'webhook.test': event({
    type: 'webhook.test',
    version: 1,
    payload: z.object({ endpointId: z.uuid(), message: z.string() }),
    permission: 'webhooks.read',
    description:
      'Sent to one endpoint when a member presses "Send test event"; signed like every event. No endpoint subscribes to it.',
    subscribable: false,
  }),
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_CATALOGUE)[T]['payload']>;

/** Every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as [EventType, ...EventType[]];

/** The event types an endpoint may subscribe to (every one but the test event), in catalogue order. */
export const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter(
  (type) => (EVENT_CATALOGUE[type] as EventCatalogueEntry<z.ZodType>).subscribable !== false,
) as [EventType, ...EventType[]];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, value);
}

/** The body delivered to an endpoint (Standard Webhooks: `type`, `timestamp`, `data`). */
export const EventEnvelope = z
  .object({
    id: z.string().meta({ description: 'The event id; also the `webhook-id` header, the same on every attempt.' }),
    type: z.string(),
    version: z.int().positive(),
    tenantId: z.uuid(),
    timestamp: z.iso.datetime({ offset: true }).meta({ description: 'When the change happened (committed).' }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'EventEnvelope' });
export type EventEnvelope = z.infer<typeof EventEnvelope>;
