// POST /api/v1/tenants/:slug/webhooks/:endpointId/replays: send one event the endpoint was
// sent before, or every event of a time range it subscribes to, once more. Each request starts
// a replay workflow of its own (api/webhooks/starter.ts), beside the endpoint's sequencer; its
// attempts carry the event's own `webhook-id` and appear in the delivery log as kind `replay`.
// The request is audited (`webhook_endpoint.replay_requested`) in the transaction that chose
// the events, once the workflow started.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import type { WebhookReplay, WebhookReplayStarted } from '../../contracts/webhooks.ts';
import {
  ReplayWebhookEventsRequest,
  WEBHOOK_REPLAY_MAX_EVENTS,
  WebhookEndpointPath,
  WebhookReplayStarted as WebhookReplayStartedSchema,
} from '../../contracts/webhooks.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { findOutboxEvent, listEventsInRange } from '../../db/repositories/event-outbox.ts';
import { wasAttempted } from '../../db/repositories/webhook-deliveries.ts';
import type { WebhookEndpointRow } from '../../db/repositories/webhook-endpoints.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { EntityManager } from 'typeorm';
import type { QueuedEvent } from '../../workflows/webhooks/contract.ts';
import { WEBHOOK_REPLAY_KIND } from '../../workflows/webhooks/contract.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { startWebhookReplay } from './starter.ts';

function invalid(path: string, message: string): ProblemError {
  return new ProblemError('validation', 'The replay cannot start; see `errors`.', { errors: [{ path, message }] });
}

interface ChosenEvents {
  events: QueuedEvent[];
  replay: Pick<WebhookReplay, 'eventId' | 'from' | 'to'>;
}

/** The one event asked for: it must have been sent to this endpoint before. */
async function oneEvent(db: EntityManager, access: TenantAccess, endpointId: string, eventId: string) {
  const event = (await wasAttempted(db, access.tenantId, endpointId, eventId))
    ? await findOutboxEvent(db, access.tenantId, eventId)
    : null;
  if (!event) throw invalid('eventId', 'This endpoint was never sent that event; pick one from its delivery log.');
  return { events: [{ sequence: event.id, eventId }], replay: { eventId, from: null, to: null } };
}

/**
 * The events of [from, to) the endpoint subscribes to, in commit order: the types it wants
 * now, from when it was created (as the dispatcher hands them out); `to` after now is now.
 */
async function eventsInRange(
  db: EntityManager,
  access: TenantAccess,
  endpoint: WebhookEndpointRow,
  range: { from: Date; to: Date },
): Promise<ChosenEvents> {
  const to = new Date(Math.min(range.to.getTime(), Date.now()));
  const from = range.from;
  const events = await listEventsInRange(db, access.tenantId, {
    from: new Date(Math.max(from.getTime(), endpoint.created_at.getTime())),
    to,
    types: endpoint.event_types,
    limit: WEBHOOK_REPLAY_MAX_EVENTS + 1,
  });
  if (events.length === 0)
    throw invalid('from', 'No event this endpoint subscribes to happened in this range; nothing to replay.');
  if (events.length > WEBHOOK_REPLAY_MAX_EVENTS)
    throw invalid(
      'to',
      `More than ${WEBHOOK_REPLAY_MAX_EVENTS} events happened in this range; end it earlier and replay the rest after.`,
    );
  return { events, replay: { eventId: null, from: from.toISOString(), to: to.toISOString() } };
}

export function webhookReplayRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };
  const starter = {
    client: deps.temporal.client,
    taskQueuePrefix: deps.temporal.taskQueuePrefix,
    timings: deps.settings.activityTimings,
  };
  const view = {
    client: deps.temporal.client,
    namespace: deps.temporal.namespace,
    temporalUiUrl: deps.temporal.uiPath,
  };
  const callOff = (workflowId: string) =>
    deps.temporal.client.workflow
      .getHandle(workflowId)
      .terminate('its request was not recorded')
      .catch((error: unknown) => deps.logger.warn('Could not call off an unrecorded replay', { workflowId, error }));

  router.post('/', requireTenantPermission(deps, 'webhooks.manage'), async (req, res) => {
    const { endpointId } = parseParams(WebhookEndpointPath, req);
    const body = parseBody(ReplayWebhookEventsRequest, req);
    const access = tenantAccessOf(res);
    if (body.from !== undefined && Date.parse(body.from) >= Date.now())
      throw invalid('from', 'Is in the future: only what happened can be replayed.');

    await respondIdempotently(req, res, idempotency, async () => {
      const replayId = randomUUID();
      // Should the audit entry below not commit, the started replay is called off: none runs unaudited.
      const startedRun: { workflowId?: string } = {};
      const { chosen, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const endpoint = await findWebhookEndpoint(db, access.tenantId, endpointId);
        if (!endpoint) throw new ProblemError('notFound', `No webhook endpoint ${endpointId} in this tenant.`);
        if (endpoint.status === 'disabled')
          throw new ProblemError('conflict', 'The endpoint is disabled: enable it before replaying events to it.');
        const chosen =
          body.eventId !== undefined
            ? await oneEvent(db, access, endpointId, body.eventId)
            : await eventsInRange(db, access, endpoint, { from: new Date(body.from!), to: new Date(body.to!) });
        const started = await startWebhookReplay(starter, {
          tenantId: access.tenantId,
          slug: access.slug,
          endpointId,
          replayId,
          events: chosen.events,
          policy: deps.settings.webhooks.policy,
        });
        if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
        startedRun.workflowId = started.workflowId;
        // Audited last, so the tenant's audit lock is not held while Temporal answers.
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'webhook_endpoint.replay_requested',
          targetType: 'webhook_endpoint',
          targetId: endpointId,
          after: { replayId, ...chosen.replay, events: chosen.events.length, operation: started.workflowId },
        });
        return { chosen, started };
      }).catch(async (error: unknown) => {
        if (startedRun.workflowId) await callOff(startedRun.workflowId);
        throw error;
      });
      deps.logger.info('Webhook replay started', { workflowId: started.workflowId, events: chosen.events.length });
      const operation = startedOperation(
        { workflowId: started.workflowId, runId: started.runId, kind: WEBHOOK_REPLAY_KIND, tenantId: access.tenantId },
        view,
      );
      return {
        status: 202,
        headers: { Location: operation.links.self },
        body: {
          replay: { id: replayId, endpointId, ...chosen.replay, events: chosen.events.length },
          operation,
        } satisfies WebhookReplayStarted,
      };
    });
  });

  return router;
}

export const webhookReplayPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/webhooks/{endpointId}/replays': {
    post: {
      operationId: 'replayWebhookEvents',
      summary: 'Send one event, or every event of a time range, to the endpoint again (same webhook-id)',
      description:
        'Either `eventId` (an event this endpoint was sent before) or `from` and `to` (at most 31 days, at most 1000 events the endpoint subscribes to). Each replay is an operation of its own, beside the endpoint\'s in-order delivery of new events; its attempts appear in the delivery log as kind "replay".',
      security: [{ bearer: [] }],
      requestParams: { path: WebhookEndpointPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: ReplayWebhookEventsRequest } } },
      responses: {
        202: {
          description: 'Started: the replay and its operation.',
          content: { 'application/json': { schema: WebhookReplayStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
};

export const webhookReplayRoutes: RouteModule = routeModule(
  '/tenants/:slug/webhooks/:endpointId/replays',
  webhookReplayRouter,
  webhookReplayPaths,
);
