// /api/v1/tenants/:slug/webhooks: a tenant's webhook endpoints. An endpoint has a URL that
// the outbound guard accepts, the event types it wants (each one the caller's role may
// read), a description and a signing secret in the secret store (`whsec_…`, shown once when
// created or rotated). A rotation keeps the previous secret valid for a grace period, during
// which deliveries carry both signatures. Every change is audited.
import { randomBytes, randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { EventType } from '../../contracts/events.ts';
import { EVENT_CATALOGUE } from '../../contracts/events.ts';
import type { WebhookEndpoint, WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import {
  CreateWebhookEndpointRequest,
  RotateWebhookSecretRequest,
  UpdateWebhookEndpointRequest,
  WEBHOOK_ROTATION_DEFAULT_GRACE_MS,
  WebhookEndpointList,
  WebhookEndpointPath,
  WebhookEndpoint as WebhookEndpointSchema,
  WebhookEndpointWithSecret as WebhookEndpointWithSecretSchema,
} from '../../contracts/webhooks.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { WebhookEndpointChange, WebhookEndpointRow } from '../../db/repositories/webhook-endpoints.ts';
import {
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints,
  updateWebhookEndpoint,
} from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import { findOutboundRefusal } from '../../integrations/outbound/refused.ts';
import { ROLE_PERMISSIONS } from '../auth/permissions.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { secretStoreProblem } from '../routes/sso-connection.ts';
import { resumeWebhookDelivery } from './starter.ts';

/** Why a member-disabled endpoint is disabled (delivery sets its own reasons, e.g. a 410). */
export const DISABLED_BY_MEMBER = 'disabled by a member';

function toView(row: WebhookEndpointRow, now = new Date()): WebhookEndpoint {
  const previousValid = row.previous_secret_expires_at && row.previous_secret_expires_at > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    status: row.status,
    disabledReason: row.disabled_reason,
    previousSecretExpiresAt: previousValid ? row.previous_secret_expires_at!.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What the audit log keeps of an endpoint (never the secret). */
function audited(row: WebhookEndpointRow) {
  return {
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    status: row.status,
    disabledReason: row.disabled_reason,
    secretVersion: row.secret_version,
  };
}

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function endpointNotFound(id: string): ProblemError {
  return new ProblemError('notFound', `No webhook endpoint ${id} in this tenant.`);
}

export function webhookEndpointsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  /** Refuses event types whose permission the caller's role lacks (403 naming each one). */
  function checkSubscribable(access: TenantAccess, types: readonly EventType[]): void {
    const allowed = ROLE_PERMISSIONS[access.role];
    const refused = types
      .map((type, index) => ({ type, index, permission: EVENT_CATALOGUE[type].permission }))
      .filter(({ permission }) => !allowed.includes(permission));
    if (refused.length > 0)
      throw new ProblemError('forbidden', `Your role "${access.role}" may not subscribe to some of these events.`, {
        errors: refused.map(({ type, index, permission }) => ({
          path: `eventTypes.${index}`,
          message: `${type} needs the ${permission} permission.`,
        })),
      });
  }

  /** The URL's scheme and address: https (http only in development), a public address. */
  async function checkUrl(value: string): Promise<void> {
    const url = new URL(value);
    if (url.protocol !== 'https:' && !deps.settings.webhooks.allowInsecureUrls)
      throw new ProblemError('validation', 'The endpoint URL must use https.', {
        errors: [{ path: 'url', message: 'Use an https:// URL: events are signed, not encrypted.' }],
      });
    try {
      await deps.outboundGuard.resolve(url.hostname);
    } catch (error) {
      const refusal = findOutboundRefusal(error);
      const message = refusal
        ? refusal.message
        : `${url.hostname} does not resolve (${(error as { code?: string }).code ?? String(error)}).`;
      throw new ProblemError('validation', 'The endpoint URL cannot be used.', { errors: [{ path: 'url', message }] });
    }
  }

  const secretPath = (access: TenantAccess, id: string) => `tenants/${access.slug}/webhooks/${id}`;

  router.get(
    '/',
    readInTenantScope(deps, 'webhooks.read', async (_req, { access: { tenantId }, db }) => {
      const rows = await listWebhookEndpoints(db, tenantId);
      return { items: rows.map((row) => toView(row)) } satisfies WebhookEndpointList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const body = parseBody(CreateWebhookEndpointRequest, req);
    const access = tenantAccessOf(res);
    checkSubscribable(access, body.eventTypes);
    await checkUrl(body.url);
    const id = randomUUID();
    const secret = newSigningSecret();
    const path = secretPath(access, id);
    // The secret first (a new path, cas 0): an endpoint row never points at no secret. A
    // failure after it leaves an unused secret under the tenant's path, destroyed with it.
    const { version } = await deps.secretStore.write(path, { secret }, { cas: 0 }).catch(secretStoreProblem);
    const created = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const row = await insertWebhookEndpoint(db, {
        id,
        tenant_id: access.tenantId,
        url: body.url,
        description: body.description,
        event_types: body.eventTypes,
        secret_path: path,
        secret_version: version,
        created_by: authOf(res).userId,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'webhook_endpoint.created',
        targetType: 'webhook_endpoint',
        targetId: id,
        after: audited(row),
      });
      return row;
    });
    res.status(201).json({ endpoint: toView(created), secret } satisfies WebhookEndpointWithSecret);
  });

  router.get('/:endpointId', requireTenantPermission(deps, 'webhooks.read'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const { tenantId } = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, tenantId, (db) => findWebhookEndpoint(db, tenantId, endpointId));
    if (!row) throw endpointNotFound(endpointId);
    res.json(toView(row) satisfies WebhookEndpoint);
  });

  router.patch('/:endpointId', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const body = parseBody(UpdateWebhookEndpointRequest, req);
    const access = tenantAccessOf(res);
    if (body.eventTypes) checkSubscribable(access, body.eventTypes);
    if (body.url) await checkUrl(body.url);
    const updated = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findWebhookEndpoint(db, access.tenantId, endpointId, { lock: true });
      if (!current) throw endpointNotFound(endpointId);
      const change: WebhookEndpointChange = {};
      if (body.url !== undefined && body.url !== current.url) change.url = body.url;
      if (body.description !== undefined && body.description !== current.description)
        change.description = body.description;
      if (body.eventTypes && body.eventTypes.join() !== current.event_types.join())
        change.event_types = body.eventTypes;
      // Enabling a paused endpoint resumes its queue (below); a disabled one starts afresh.
      if (body.enabled === true && current.status !== 'enabled')
        Object.assign(change, { status: 'enabled', disabled_reason: null });
      if (body.enabled === false && current.status !== 'disabled')
        Object.assign(change, { status: 'disabled', disabled_reason: DISABLED_BY_MEMBER });
      if (Object.keys(change).length === 0) return { row: current, resume: false };
      const row = await updateWebhookEndpoint(db, access.tenantId, endpointId, change);
      const onlyStatus = Object.keys(change).every((key) => key === 'status' || key === 'disabled_reason');
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: onlyStatus ? `webhook_endpoint.${row.status}` : 'webhook_endpoint.updated',
        targetType: 'webhook_endpoint',
        targetId: endpointId,
        before: audited(current),
        after: audited(row),
      });
      return { row, resume: current.status !== 'enabled' && row.status === 'enabled' };
    });
    // After the commit, so the sequencer's next attempt reads the endpoint enabled. Should the
    // signal not get through, the endpoint is enabled and a paused sequencer still waits:
    // disabling and enabling it again sends the signal again.
    if (updated.resume)
      await resumeWebhookDelivery({ client: deps.temporal.client }, { slug: access.slug, endpointId }).catch(
        (error: unknown) => deps.logger.warn('Could not resume webhook delivery', { endpointId, error }),
      );
    res.json(toView(updated.row) satisfies WebhookEndpoint);
  });

  router.post('/:endpointId/rotate-secret', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const body = parseBody(RotateWebhookSecretRequest, req);
    const access = tenantAccessOf(res);
    const graceMs = body.gracePeriod ?? WEBHOOK_ROTATION_DEFAULT_GRACE_MS;
    const secret = newSigningSecret();
    const before = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findWebhookEndpoint(db, access.tenantId, endpointId),
    );
    if (!before) throw endpointNotFound(endpointId);
    // The new version first, outside any transaction (no connection or row lock held while the
    // secret store answers). Nothing signs with it until the row below points at it; should
    // that fail, the row keeps its version (still valid) and the written one is never used.
    const { version } = await deps.secretStore.write(before.secret_path, { secret }).catch(secretStoreProblem);
    const rotated = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findWebhookEndpoint(db, access.tenantId, endpointId, { lock: true });
      if (!current) throw endpointNotFound(endpointId);
      // Another rotation committed a newer version meanwhile: this one lost the race.
      if (current.secret_version >= version)
        throw new ProblemError('conflict', 'The secret was rotated by another request at the same time; rotate again.');
      const expiresAt = new Date(Date.now() + graceMs);
      const row = await updateWebhookEndpoint(db, access.tenantId, endpointId, {
        secret_version: version,
        previous_secret_version: graceMs > 0 ? current.secret_version : null,
        previous_secret_expires_at: graceMs > 0 ? expiresAt : null,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'webhook_endpoint.secret_rotated',
        targetType: 'webhook_endpoint',
        targetId: endpointId,
        before: { secretVersion: current.secret_version },
        after: {
          secretVersion: version,
          previousSecretExpiresAt: row.previous_secret_expires_at?.toISOString() ?? null,
        },
      });
      return row;
    });
    res.json({ endpoint: toView(rotated), secret } satisfies WebhookEndpointWithSecret);
  });

  router.delete('/:endpointId', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const access = tenantAccessOf(res);
    const removed = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findWebhookEndpoint(db, access.tenantId, endpointId, { lock: true });
      if (!current) throw endpointNotFound(endpointId);
      await deleteWebhookEndpoint(db, access.tenantId, endpointId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'webhook_endpoint.deleted',
        targetType: 'webhook_endpoint',
        targetId: endpointId,
        before: audited(current),
      });
      return current;
    });
    // The row is gone, so nothing signs with the secret any more; a failure here leaves an
    // unused secret under the tenant's path (offboarding destroys it with the rest).
    await deps.secretStore.destroy(removed.secret_path).catch((error: unknown) => {
      deps.logger.warn('Webhook signing secret not destroyed', { path: removed.secret_path, error });
    });
    res.status(204).end();
  });

  return router;
}

const security = [{ bearer: [] }];

export const webhookEndpointsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/webhooks': {
    get: {
      operationId: 'listWebhookEndpoints',
      summary: "List the tenant's webhook endpoints (never their secrets)",
      security,
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'Every endpoint, newest first.',
          content: { 'application/json': { schema: WebhookEndpointList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createWebhookEndpoint',
      summary: 'Register an endpoint; the response holds its signing secret, shown this once',
      description:
        'The URL must be https:// and reach a public address. Each event type must be in the event catalogue, and your role must have the permission it names.',
      security,
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: CreateWebhookEndpointRequest } } },
      responses: {
        201: {
          description: 'The endpoint and its signing secret.',
          content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 422, 503),
      },
    },
  },
  '/api/v1/tenants/{slug}/webhooks/{endpointId}': {
    get: {
      operationId: 'getWebhookEndpoint',
      summary: 'One webhook endpoint',
      security,
      requestParams: { path: WebhookEndpointPath },
      responses: {
        200: { description: 'The endpoint.', content: { 'application/json': { schema: WebhookEndpointSchema } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    patch: {
      operationId: 'updateWebhookEndpoint',
      summary: "Change an endpoint's URL, description or event types, or disable or enable it",
      security,
      requestParams: { path: WebhookEndpointPath },
      requestBody: { content: { 'application/json': { schema: UpdateWebhookEndpointRequest } } },
      responses: {
        200: {
          description: 'The endpoint as changed.',
          content: { 'application/json': { schema: WebhookEndpointSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
    delete: {
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete an endpoint and its signing secret',
      security,
      requestParams: { path: WebhookEndpointPath },
      responses: { 204: { description: 'Deleted.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
  '/api/v1/tenants/{slug}/webhooks/{endpointId}/rotate-secret': {
    post: {
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret, shown this once; the previous one stays valid for the grace period',
      security,
      requestParams: { path: WebhookEndpointPath },
      requestBody: { content: { 'application/json': { schema: RotateWebhookSecretRequest } } },
      responses: {
        200: {
          description: 'The endpoint and its new signing secret.',
          content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422, 503),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const webhookEndpointsRoutes: RouteModule = routeModule(
  '/tenants/:slug/webhooks',
  webhookEndpointsRouter,
  webhookEndpointsPaths,
);
