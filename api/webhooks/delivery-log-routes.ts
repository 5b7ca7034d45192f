// GET /api/v1/tenants/:slug/webhooks/:endpointId/deliveries: an endpoint's delivery log,
// every attempt newest first (status, duration, the first kilobyte of the answer; whether
// delivery, a replay or a test send made it), filtered by outcome, kind, event type or event,
// paged by cursor.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { WebhookDeliveryAttempt, WebhookDeliveryPage } from '../../contracts/webhooks.ts';
import {
  WebhookDeliveryListQuery,
  WebhookDeliveryPage as WebhookDeliveryPageSchema,
  WebhookEndpointPath,
} from '../../contracts/webhooks.ts';
import type { WebhookDeliveryRow } from '../../db/repositories/webhook-deliveries.ts';
import { listWebhookDeliveries } from '../../db/repositories/webhook-deliveries.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseParams, parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

/** An attempt as the API shows it (the log, a test send's answer). */
export function deliveryAttemptView(row: WebhookDeliveryRow): WebhookDeliveryAttempt {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    attempt: row.attempt,
    outcome: row.outcome,
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    responseExcerpt: row.response_excerpt,
    error: row.error,
    url: row.url,
    kind: row.kind,
    replayId: row.replay_id,
    attemptedAt: row.attempted_at.toISOString(),
  };
}

export function webhookDeliveryLogRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'webhooks.read'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const query = parseQuery(WebhookDeliveryListQuery, req);
    const { tenantId } = tenantAccessOf(res);
    const rows = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      if (!(await findWebhookEndpoint(db, tenantId, endpointId)))
        throw new ProblemError('notFound', `No webhook endpoint ${endpointId} in this tenant.`);
      return listWebhookDeliveries(db, tenantId, endpointId, {
        outcome: query.outcome,
        kind: query.kind,
        eventType: query.eventType,
        eventId: query.eventId,
        beforeId: query.cursor,
        limit: query.limit + 1,
      });
    });
    const page = rows.slice(0, query.limit);
    res.json({
      items: page.map(deliveryAttemptView),
      nextCursor: rows.length > query.limit ? page.at(-1)!.id : null,
    } satisfies WebhookDeliveryPage);
  });

  return router;
}

export const webhookDeliveryLogPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/webhooks/{endpointId}/deliveries': {
    get: {
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's delivery log: every attempt, newest first",
      security: [{ bearer: [] }],
      requestParams: { path: WebhookEndpointPath, query: WebhookDeliveryListQuery },
      responses: {
        200: {
          description: 'A page of attempts and the cursor of the next one.',
          content: { 'application/json': { schema: WebhookDeliveryPageSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
};

export const webhookDeliveryLogRoutes: RouteModule = routeModule(
  '/tenants/:slug/webhooks/:endpointId/deliveries',
  webhookDeliveryLogRouter,
  webhookDeliveryLogPaths,
);
