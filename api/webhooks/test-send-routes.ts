// POST /api/v1/tenants/:slug/webhooks/:endpointId/test: the "Send test event" button. Sends
// the endpoint a `webhook.test` event now, signed like every delivery, and answers with the
// attempt (status, duration, the first kilobyte of the answer) once the receiver answered or
// WEBHOOK_REQUEST_TIMEOUT passed: a member pressing the button waits seconds at most and
// wants the outcome on the spot, not an operation to follow. One attempt, never retried; the
// event is in the outbox (handed over already, so no subscriber gets it) and the attempt in
// the delivery log as kind `test`, so it can be replayed like any other. A test never changes
// the endpoint: a 410 or a refused address is reported, not acted on, and paused or disabled
// endpoints may be tested (to see whether the receiver is back before enabling them).
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { WebhookTestResult } from '../../contracts/webhooks.ts';
import {
  SendWebhookTestRequest,
  WebhookEndpointPath,
  WebhookTestResult as WebhookTestResultSchema,
} from '../../contracts/webhooks.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent, findOutboxEvent } from '../../db/repositories/event-outbox.ts';
import { recordWebhookDelivery } from '../../db/repositories/webhook-deliveries.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import { envelopeOf } from '../../integrations/webhooks/envelope.ts';
import { sendWebhook } from '../../integrations/webhooks/sender.ts';
import { signingSecretsOf } from '../../integrations/webhooks/signing-secrets.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { deliveryAttemptView } from './delivery-log-routes.ts';

const TEST_MESSAGE = 'A test event from Atrium: if your endpoint verified this signature, it is ready for events.';

function endpointNotFound(id: string): ProblemError {
  return new ProblemError('notFound', `No webhook endpoint ${id} in this tenant.`);
}

export function webhookTestSendRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.post('/', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    parseBody(SendWebhookTestRequest, req);
    const access = tenantAccessOf(res);
    // The event and the request's audit entry first, committed: the attempt's log row refers to it.
    const { endpoint, event } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const endpoint = await findWebhookEndpoint(db, access.tenantId, endpointId);
      if (!endpoint) throw endpointNotFound(endpointId);
      const { eventId } = await emitEvent(
        db,
        access.tenantId,
        'webhook.test',
        { endpointId, message: TEST_MESSAGE },
        { handedOver: true },
      );
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'webhook_endpoint.test_sent',
        targetType: 'webhook_endpoint',
        targetId: endpointId,
        after: { eventId },
      });
      return { endpoint, event: (await findOutboxEvent(db, access.tenantId, eventId))! };
    });

    const sentAt = new Date();
    const secrets = await signingSecretsOf(deps.secretStore, endpoint, sentAt).catch((error: unknown) => {
      deps.logger.warn('Webhook signing secret not readable for a test send', { endpointId, error });
      throw new ProblemError('unavailable', 'The signing secret cannot be read right now; try again later.');
    });
    const attempt = await sendWebhook(deps.outbound, {
      url: endpoint.url,
      id: event.event_id,
      body: JSON.stringify(envelopeOf(event)),
      secrets,
      sentAt,
      timeoutMs: deps.settings.webhooks.policy.requestTimeoutMs,
    });
    const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      // Deleted while the request was out: there is no log to record it in.
      if (!(await findWebhookEndpoint(db, access.tenantId, endpointId))) throw endpointNotFound(endpointId);
      return recordWebhookDelivery(db, {
        tenant_id: access.tenantId,
        endpoint_id: endpointId,
        event_id: event.event_id,
        event_type: event.type,
        attempt: 1,
        outcome: attempt.outcome,
        status_code: attempt.status,
        duration_ms: attempt.durationMs,
        response_excerpt: attempt.responseExcerpt,
        error: attempt.error,
        url: endpoint.url,
        kind: 'test',
      });
    });
    res.json({ eventId: event.event_id, attempt: deliveryAttemptView(row) } satisfies WebhookTestResult);
  });

  return router;
}

export const webhookTestSendPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/webhooks/{endpointId}/test': {
    post: {
      operationId: 'sendWebhookTest',
      summary: 'Send the endpoint a signed webhook.test event now and answer with the attempt',
      description:
        'One attempt, not retried, answered within WEBHOOK_REQUEST_TIMEOUT: the status, duration and first kilobyte of the answer, as the delivery log records it (kind "test"). A test never pauses or disables the endpoint.',
      security: [{ bearer: [] }],
      requestParams: { path: WebhookEndpointPath },
      requestBody: { content: { 'application/json': { schema: SendWebhookTestRequest } } },
      responses: {
        200: {
          description: 'The attempt, whatever the receiver answered (see outcome and statusCode).',
          content: { 'application/json': { schema: WebhookTestResultSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 422, 503),
      },
    },
  },
};

export const webhookTestSendRoutes: RouteModule = routeModule(
  '/tenants/:slug/webhooks/:endpointId/test',
  webhookTestSendRouter,
  webhookTestSendPaths,
);
