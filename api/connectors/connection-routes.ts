// /api/v1/tenants/:slug/connections: a tenant's connected accounts.
//
//   GET    /                  the connections, newest first
//   POST   /                  connect: checks the provider, the plan (feature and `connectors`
//                             limit, counted under a per-tenant lock so two connects at once cannot
//                             both take the last place), records the connection as pending and
//                             starts connectConnector; answers 202 with the authorization URL to
//                             send the member to once the workflow has prepared it
//   GET    /:connectionId     one connection (while pending: its authorization URL, read from the workflow)
//   POST   /:connectionId/reconnect  reconnect in place: connectConnector again for the same connection
//   DELETE /:connectionId     disconnect: starts disconnectConnector (revoke, delete tokens)
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import type { Connection, ConnectionList, ConnectionStarted, DisconnectStarted } from '../../contracts/connectors.ts';
import {
  Connection as ConnectionSchema,
  ConnectionList as ConnectionListSchema,
  ConnectionPath,
  ConnectionStarted as ConnectionStartedSchema,
  CreateConnectionRequest,
  DisconnectStarted as DisconnectStartedSchema,
} from '../../contracts/connectors.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { ConnectionRow } from '../../db/repositories/connectors.ts';
import {
  countLiveConnections,
  LIVE_CONNECTION_STATUSES,
  findConnection,
  insertConnection,
  listConnections,
  updateConnection,
} from '../../db/repositories/connectors.ts';
import { withTenantScope } from '../../db/scope.ts';
import { loadProviderCatalog } from '../../integrations/oauth/catalog.ts';
import type { ConnectState } from '../../workflows/connectors/contract.ts';
import {
  CONNECT_CONNECTOR_KIND,
  connectConnectorWorkflowId,
  connectionSecretPaths,
  DISCONNECT_CONNECTOR_KIND,
  getConnectStateQuery,
} from '../../workflows/connectors/contract.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import { refuseOverPlanLimit } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { planAllows, providersFor } from './providers.ts';
import { startConnect, startDisconnect } from './starters.ts';

function invalid(path: string, message: string): ProblemError {
  return new ProblemError('validation', 'The connection cannot start; see `errors`.', { errors: [{ path, message }] });
}

export function toConnectionView(row: ConnectionRow, state: ConnectState | null = null): Connection {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? row.error_code } : null,
    scopes: row.scopes,
    account: row.account_id ? { id: row.account_id, name: row.account_name ?? row.account_id } : null,
    tokenExpiresAt: row.token_expires_at?.toISOString() ?? null,
    tokensRefreshedAt: row.tokens_refreshed_at?.toISOString() ?? null,
    operationId: row.workflow_id,
    authorizationUrl: row.status === 'pending' ? (state?.authorizationUrl ?? null) : null,
    authorizationExpiresAt: row.status === 'pending' ? (state?.expiresAt ?? null) : null,
    createdAt: row.created_at.toISOString(),
    connectedAt: row.connected_at?.toISOString() ?? null,
    lastSync:
      row.last_sync_at && row.last_sync_status && row.last_sync_counts
        ? { at: row.last_sync_at.toISOString(), status: row.last_sync_status, counts: row.last_sync_counts }
        : null,
  };
}

/** The lock that serializes a tenant's connects: the limit is counted and taken under it. */
async function lockConnectors(db: EntityManager, tenantId: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`atrium:connectors:${tenantId}`]);
}

export function connectionsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const catalog = loadProviderCatalog();
  const settings = deps.settings.connectors;
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

  /** The pending connect's state, or null when its workflow does not answer (yet). */
  const connectState = async (workflowId: string): Promise<ConnectState | null> => {
    try {
      return await deps.temporal.client.workflow.getHandle(workflowId).query(getConnectStateQuery);
    } catch {
      return null;
    }
  };

  /** Waits (a little) for the workflow to have prepared the authorization URL. */
  const authorizationOf = async (workflowId: string): Promise<ConnectState | null> => {
    const deadline = Date.now() + settings.authorizationWaitMs;
    for (;;) {
      const state = await connectState(workflowId);
      if (state?.authorizationUrl || (state && state.status !== 'preparing') || Date.now() >= deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** The 202 of a connect or reconnect: the connection, its operation and where the provider sends people back. */
  const connectStarted = async (
    slug: string,
    tenantId: string,
    row: Parameters<typeof toConnectionView>[0],
    started: { workflowId: string; runId: string },
  ) => {
    const state = await authorizationOf(started.workflowId);
    return {
      status: 202,
      headers: { Location: `/api/v1/tenants/${slug}/connections/${row.id}` },
      body: {
        connection: toConnectionView(row, state),
        operation: startedOperation(
          { workflowId: started.workflowId, runId: started.runId, kind: CONNECT_CONNECTOR_KIND, tenantId },
          view,
        ),
        redirectUri: settings.redirectUri,
      } satisfies ConnectionStarted,
    };
  };

  router.get('/', requireTenantPermission(deps, 'connectors.read'), async (_req, res) => {
    const { tenantId } = tenantAccessOf(res);
    const rows = await withTenantScope(deps.dataSource, tenantId, (db) => listConnections(db, tenantId));
    res.json({ items: rows.map((row) => toConnectionView(row)) } satisfies ConnectionList);
  });

  router.get('/:connectionId', requireTenantPermission(deps, 'connectors.read'), async (req, res) => {
    const { connectionId } = parseParams(ConnectionPath, req);
    const { tenantId } = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, tenantId, (db) => findConnection(db, tenantId, connectionId));
    if (!row) throw new ProblemError('notFound', `No connection ${connectionId} in this tenant.`);
    const state = row.status === 'pending' ? await connectState(row.workflow_id) : null;
    res.json(toConnectionView(row, state) satisfies Connection);
  });

  router.post('/', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const body = parseBody(CreateConnectionRequest, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    if (auth.apiKey)
      throw new ProblemError(
        'forbidden',
        'A person connects an account (the provider asks them to consent); API keys cannot.',
      );
    if (body.redirectUri !== undefined && body.redirectUri !== settings.redirectUri)
      throw invalid(
        'redirectUri',
        `Must be exactly ${settings.redirectUri}, the redirect URI registered at the provider.`,
      );

    await respondIdempotently(req, res, idempotency, async () => {
      const connectionId = randomUUID();
      const workflowId = connectConnectorWorkflowId(access.slug, connectionId);
      const startedRun: { workflowId?: string } = {};
      const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const providers = await providersFor(db, catalog, { id: access.tenantId, plan: access.tenant.plan });
        const provider = providers.find((p) => p.definition.id === body.provider);
        if (!provider)
          throw invalid('provider', `There is no provider "${body.provider}"; GET …/connectors/providers lists them.`);
        if (!planAllows(access.tenant.plan, provider.definition.feature))
          throw new ProblemError(
            'planFeatureMissing',
            `${provider.definition.name} needs the ${provider.definition.feature} feature, which the "${access.tenant.plan}" plan does not include.`,
            { errors: [{ path: 'provider', message: `Needs ${provider.definition.feature}.` }] },
          );
        if (!provider.view.configured)
          throw invalid(
            'provider',
            `${provider.definition.name} is not configured yet: a platform admin must set its client id and secret.`,
          );
        await lockConnectors(db, access.tenantId);
        refuseOverPlanLimit(access.tenant.plan, 'connectors', await countLiveConnections(db, access.tenantId), {
          path: 'provider',
          counted: 'are connected or connecting',
        });
        const row = await insertConnection(db, {
          id: connectionId,
          tenant_id: access.tenantId,
          provider: provider.definition.id,
          name: body.name ?? provider.definition.name,
          scopes: body.scopes ?? provider.definition.defaultScopes,
          workflow_id: workflowId,
          created_by: auth.userId,
        });
        const started = await startConnect(starter, {
          tenantId: access.tenantId,
          slug: access.slug,
          connectionId,
          providerId: provider.definition.id,
          scopes: row.scopes,
          redirectUri: settings.redirectUri,
          userId: auth.userId,
          requestedBy: actorOf(req, res),
          connectTimeoutMs: settings.connectTimeoutMs,
          refreshMarginMs: settings.refreshMarginMs,
        });
        if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
        startedRun.workflowId = started.workflowId;
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'connection.connect_started',
          targetType: 'connection',
          targetId: connectionId,
          after: { provider: row.provider, scopes: row.scopes, operation: workflowId },
        });
        return { row, started };
      }).catch(async (error: unknown) => {
        // Nothing half-applied: a started workflow whose row did not commit is called off.
        if (startedRun.workflowId)
          await deps.temporal.client.workflow
            .getHandle(startedRun.workflowId)
            .terminate('its connection was not recorded')
            .catch(() => undefined);
        throw error;
      });
      deps.logger.info('Connect started', { workflowId, connectionId, provider: row.provider });
      return connectStarted(access.slug, access.tenantId, row, { workflowId, runId: started.runId });
    });
  });

  // Reconnect in place: a new connect for the same connection (its id, its syncs), for one that
  // needs re-authorization or whose reconnect did not finish. On success the connection is active
  // again, its maintenance starts again and the syncs its needs_reauth paused resume.
  router.post('/:connectionId/reconnect', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId } = parseParams(ConnectionPath, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    if (auth.apiKey)
      throw new ProblemError(
        'forbidden',
        'A person reconnects an account (the provider asks them to consent); API keys cannot.',
      );
    await respondIdempotently(req, res, idempotency, async () => {
      const workflowId = connectConnectorWorkflowId(access.slug, connectionId);
      const startedRun: { workflowId?: string } = {};
      const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        await lockConnectors(db, access.tenantId);
        const current = await findConnection(db, access.tenantId, connectionId, { lock: true });
        if (!current) throw new ProblemError('notFound', `No connection ${connectionId} in this tenant.`);
        const wasLive = LIVE_CONNECTION_STATUSES.includes(current.status);
        if (current.status !== 'needs_reauth' && (current.connected_at === null || wasLive))
          throw new ProblemError(
            'conflict',
            `This connection is ${current.status}; only one that needs to be authorized again (or whose reconnect did not finish) can be reconnected.`,
          );
        if (!wasLive) {
          // A reconnect that expired or failed gave its place back: it takes one again.
          refuseOverPlanLimit(access.tenant.plan, 'connectors', await countLiveConnections(db, access.tenantId), {
            path: 'connectionId',
            counted: 'are connected or connecting',
          });
        }
        // The old tokens are dead (the provider refused them): the new connect must exchange its
        // own code, not find them and keep them.
        await deps.secretStore.destroy(connectionSecretPaths(access.slug, connectionId).tokens);
        const row = (await updateConnection(db, access.tenantId, connectionId, {
          status: 'pending',
          error_code: null,
          error_message: null,
          token_path: null,
          token_expires_at: null,
        }))!;
        const started = await startConnect(
          starter,
          {
            tenantId: access.tenantId,
            slug: access.slug,
            connectionId,
            providerId: current.provider,
            scopes: current.scopes,
            redirectUri: settings.redirectUri,
            userId: auth.userId,
            requestedBy: actorOf(req, res),
            connectTimeoutMs: settings.connectTimeoutMs,
            refreshMarginMs: settings.refreshMarginMs,
          },
          { reconnect: true },
        );
        if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
        startedRun.workflowId = started.workflowId;
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'connection.reconnect_started',
          targetType: 'connection',
          targetId: connectionId,
          before: { status: current.status },
          after: { status: 'pending', operation: workflowId },
        });
        return { row, started };
      }).catch(async (error: unknown) => {
        if (startedRun.workflowId)
          await deps.temporal.client.workflow
            .getHandle(startedRun.workflowId)
            .terminate('its reconnect was not recorded')
            .catch(() => undefined);
        throw error;
      });
      deps.logger.info('Reconnect started', { workflowId, connectionId });
      return connectStarted(access.slug, access.tenantId, row, { workflowId, runId: started.runId });
    });
  });

  router.delete('/:connectionId', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId } = parseParams(ConnectionPath, req);
    const access = tenantAccessOf(res);
    const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findConnection(db, access.tenantId, connectionId, { lock: true });
      if (!current) throw new ProblemError('notFound', `No connection ${connectionId} in this tenant.`);
      if (current.status === 'pending')
        throw new ProblemError(
          'conflict',
          'This connection is still waiting for its authorization; it ends by itself if nobody completes it.',
        );
      if (current.status !== 'active' && current.status !== 'needs_reauth' && current.status !== 'disconnecting')
        throw new ProblemError('conflict', `This connection is ${current.status}: it holds no tokens to revoke.`);
      const started = await startDisconnect(starter, {
        tenantId: access.tenantId,
        slug: access.slug,
        connectionId,
        requestedBy: actorOf(req, res),
      });
      if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
      if (current.status === 'disconnecting') return { row: current, started };
      const row = (await updateConnection(db, access.tenantId, connectionId, { status: 'disconnecting' }))!;
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connection.disconnect_requested',
        targetType: 'connection',
        targetId: connectionId,
        after: { operation: started.workflowId },
      });
      return { row, started };
    });
    res.status(202).json({
      connection: toConnectionView(row),
      operation: startedOperation(
        {
          workflowId: started.workflowId,
          runId: started.runId,
          kind: DISCONNECT_CONNECTOR_KIND,
          tenantId: access.tenantId,
        },
        view,
      ),
    } satisfies DisconnectStarted);
  });

  return router;
}

export const connectionsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/connections': {
    get: {
      operationId: 'listConnections',
      summary: "The tenant's connected accounts",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The connections.', content: { 'application/json': { schema: ConnectionListSchema } } },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'connectConnector',
      summary: 'Connect an account at a provider (starts connectConnector)',
      description:
        "Checks the provider, the plan's feature and its `connectors` limit (problem `plan-limit-reached` naming it), records the connection as pending and starts `connector-connect/<slug>/<connection>`. Send the member's browser to `connection.authorizationUrl`; the provider returns them to `redirectUri`, whose page posts what it got to POST /api/v1/connectors/callback.",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: CreateConnectionRequest } } },
      responses: {
        202: {
          description: 'Started: the pending connection (with its authorization URL) and its operation.',
          content: { 'application/json': { schema: ConnectionStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/connections/{connectionId}/reconnect': {
    post: {
      operationId: 'reconnectConnector',
      summary: 'Reconnect in place: a new connect for a connection that needs re-authorization',
      description:
        'Starts `connector-connect/<slug>/<connection>` again for the same connection. Send the member to `connection.authorizationUrl`; on success the connection is active again, its maintenance restarts and the syncs its needs_reauth paused resume.',
      security: [{ bearer: [] }],
      requestParams: { path: ConnectionPath, header: IdempotencyKeyHeader },
      responses: {
        202: {
          description: 'Started: the pending connection (with its authorization URL) and its operation.',
          content: { 'application/json': { schema: ConnectionStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    },
  },
  '/api/v1/tenants/{slug}/connections/{connectionId}': {
    get: {
      operationId: 'getConnection',
      summary: 'One connection (while pending, with its authorization URL)',
      security: [{ bearer: [] }],
      requestParams: { path: ConnectionPath },
      responses: {
        200: { description: 'The connection.', content: { 'application/json': { schema: ConnectionSchema } } },
        ...problemResponses(400, 401, 403, 404),
      },
    },
    delete: {
      operationId: 'disconnectConnector',
      summary: 'Disconnect: revoke the tokens at the provider and delete them (starts disconnectConnector)',
      security: [{ bearer: [] }],
      requestParams: { path: ConnectionPath },
      responses: {
        202: {
          description: 'Started: the connection (disconnecting) and its operation.',
          content: { 'application/json': { schema: DisconnectStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    },
  },
};

export const connectionsRoutes: RouteModule = routeModule(
  '/tenants/:slug/connections',
  connectionsRouter,
  connectionsPaths,
);
