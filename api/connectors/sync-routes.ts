// /api/v1/tenants/:slug/connections/:connectionId/syncs: a connection's scheduled syncs.
//
//   GET    /                   the syncs, with their schedule's state and next run
//   POST   /                   define one (a resource path on the provider's API, an interval at
//                               least CONNECTOR_SYNC_MIN_INTERVAL): records it and creates its
//                               Temporal Schedule (paused while the connection needs re-authorization)
//   GET    /:syncId            one sync
//   DELETE /:syncId            deletes it and its schedule (its records and run history go with it)
//   POST   /:syncId/pause      a member's pause (kept when the connection is reconnected)
//   POST   /:syncId/resume     lifts it (the schedule stays paused while the connection needs re-authorization)
//   POST   /:syncId/run        runs it once now, paused or not ("run now")
//   POST   /:syncId/backfill   takes the runs the interval had due between start and end, now
//   GET    /:syncId/runs       its run history with counts, newest first
//
// Each change is audited in the transaction that makes it, and the schedule call happens inside
// that transaction: a schedule the server refused leaves no row or audit entry behind.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ConnectionSync, ConnectionSyncList, SyncRunList } from '../../contracts/connectors.ts';
import {
  BackfillSyncRequest,
  ConnectionPath,
  ConnectionSync as ConnectionSyncSchema,
  ConnectionSyncList as ConnectionSyncListSchema,
  CreateSyncRequest,
  SyncPath,
  SyncRunList as SyncRunListSchema,
} from '../../contracts/connectors.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { SyncRow, SyncRunRow } from '../../db/repositories/connector-syncs.ts';
import {
  deleteSync,
  findSync,
  insertSync,
  listSyncRuns,
  listSyncs,
  setSyncPaused,
} from '../../db/repositories/connector-syncs.ts';
import { findConnection } from '../../db/repositories/connectors.ts';
import { withTenantScope } from '../../db/scope.ts';
import { syncScheduleId } from '../../workflows/connectors/contract.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import type { ScheduleStatus } from '../schedules/index.ts';
import {
  backfillSchedule,
  deleteSchedule,
  deleteScheduleIfPresent,
  describeSchedule,
  ensureSchedule,
  pauseSchedule,
  resumeSchedule,
  ScheduleNotFound,
  triggerSchedule,
} from '../schedules/index.ts';
import { syncScheduleDeclaration } from './sync-schedules.ts';

/** Connections whose syncs may be defined and run: active, or waiting to be reconnected. */
const SYNCABLE = ['active', 'needs_reauth'];

export function toSyncView(row: SyncRow, schedule: ScheduleStatus | null): ConnectionSync {
  const paused = schedule?.paused ?? row.paused;
  return {
    id: row.id,
    connectionId: row.connection_id,
    name: row.name,
    resourcePath: row.resource_path,
    intervalSeconds: row.interval_seconds,
    schedule: paused ? 'paused' : 'active',
    pausedByMember: row.paused,
    pauseNote: paused ? (schedule?.note ?? null) : null,
    nextRunAt: paused ? null : (schedule?.nextActionTimes[0] ?? null),
    scheduleId: row.schedule_id,
    lastRun:
      row.last_run_at && row.last_status
        ? { at: row.last_run_at.toISOString(), status: row.last_status, error: row.last_error }
        : null,
    createdAt: row.created_at.toISOString(),
  };
}

function toRunView(row: SyncRunRow): SyncRunList['items'][number] {
  return {
    workflowId: row.workflow_id,
    status: row.status,
    pages: row.pages,
    counts: { fetched: row.fetched, created: row.created, updated: row.updated, unchanged: row.unchanged },
    error: row.error,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

export function syncsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const client = deps.temporal.client;
  const { syncMinIntervalMs } = deps.settings.connectors;

  const scheduleOf = async (row: SyncRow): Promise<ScheduleStatus | null> => {
    try {
      return await describeSchedule(client, row.schedule_id);
    } catch (error) {
      deps.logger.warn('Sync schedule not readable', { scheduleId: row.schedule_id, error: String(error) });
      return null;
    }
  };

  const connectionOr404 = async (db: EntityManager, tenantId: string, connectionId: string) => {
    const connection = await findConnection(db, tenantId, connectionId);
    if (!connection) throw new ProblemError('notFound', `No connection ${connectionId} in this tenant.`);
    return connection;
  };

  /** The sync, locked for the change the request makes (reads pass `lock: false`). */
  const syncOr404 = async (db: EntityManager, tenantId: string, connectionId: string, syncId: string, lock = true) => {
    await connectionOr404(db, tenantId, connectionId);
    const sync = await findSync(db, tenantId, connectionId, syncId, { lock });
    if (!sync) throw new ProblemError('notFound', `No sync ${syncId} on this connection.`);
    return sync;
  };

  /** Runs a schedule call, a schedule gone missing answered as a 409 that says how to repair it. */
  const onSchedule = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ScheduleNotFound)
        throw new ProblemError(
          'conflict',
          'The sync has no schedule on the Temporal server (deleted there); delete the sync and define it again.',
        );
      throw error;
    }
  };

  router.get('/', requireTenantPermission(deps, 'connectors.read'), async (req, res) => {
    const { connectionId } = parseParams(ConnectionPath, req);
    const { tenantId } = tenantAccessOf(res);
    const rows = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      await connectionOr404(db, tenantId, connectionId);
      return listSyncs(db, tenantId, connectionId);
    });
    const items = await Promise.all(rows.map(async (row) => toSyncView(row, await scheduleOf(row))));
    res.json({ items } satisfies ConnectionSyncList);
  });

  router.post('/', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId } = parseParams(ConnectionPath, req);
    const body = parseBody(CreateSyncRequest, req);
    const access = tenantAccessOf(res);
    if (body.intervalSeconds * 1_000 < syncMinIntervalMs)
      throw new ProblemError(
        'validation',
        `A sync runs at most every ${syncMinIntervalMs / 1_000} seconds; see \`errors\`.`,
        {
          errors: [{ path: 'intervalSeconds', message: `Must be at least ${syncMinIntervalMs / 1_000} (seconds).` }],
        },
      );
    const syncId = randomUUID();
    const scheduleId = syncScheduleId(access.slug, connectionId, syncId);
    let created = false;
    const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const connection = await connectionOr404(db, access.tenantId, connectionId);
      if (!SYNCABLE.includes(connection.status))
        throw new ProblemError(
          'conflict',
          `This connection is ${connection.status}: only an active connection (or one waiting to be reconnected) syncs.`,
        );
      const row = await insertSync(db, {
        id: syncId,
        tenant_id: access.tenantId,
        connection_id: connectionId,
        name: body.name,
        resource_path: body.resourcePath,
        interval_seconds: body.intervalSeconds,
        schedule_id: scheduleId,
        // An API key's id is no user: its syncs name nobody (the audit entry names the key).
        created_by: authOf(res).apiKey ? null : authOf(res).userId,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connection.sync_created',
        targetType: 'connection_sync',
        targetId: syncId,
        after: { connection: connectionId, resourcePath: row.resource_path, intervalSeconds: row.interval_seconds },
      });
      await ensureSchedule(
        client,
        syncScheduleDeclaration(row, {
          tenantId: access.tenantId,
          slug: access.slug,
          taskQueuePrefix: deps.temporal.taskQueuePrefix,
          timings: deps.settings.activityTimings,
          paused: connection.status !== 'active',
        }),
      );
      created = true;
      return row;
    }).catch(async (error: unknown) => {
      // Nothing half-applied: a schedule whose row did not commit is deleted.
      if (created) await deleteSchedule(client, scheduleId).catch(() => undefined);
      throw error;
    });
    deps.logger.info('Sync defined', { scheduleId, connectionId });
    res
      .status(201)
      .location(`/api/v1/tenants/${access.slug}/connections/${connectionId}/syncs/${syncId}`)
      .json(toSyncView(row, await scheduleOf(row)) satisfies ConnectionSync);
  });

  router.get('/:syncId', requireTenantPermission(deps, 'connectors.read'), async (req, res) => {
    const { connectionId, syncId } = parseParams(SyncPath, req);
    const { tenantId } = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, tenantId, (db) => syncOr404(db, tenantId, connectionId, syncId));
    res.json(toSyncView(row, await scheduleOf(row)) satisfies ConnectionSync);
  });

  router.get('/:syncId/runs', requireTenantPermission(deps, 'connectors.read'), async (req, res) => {
    const { connectionId, syncId } = parseParams(SyncPath, req);
    const { tenantId } = tenantAccessOf(res);
    const runs = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      await syncOr404(db, tenantId, connectionId, syncId, false);
      return listSyncRuns(db, tenantId, syncId);
    });
    res.json({ items: runs.map(toRunView) } satisfies SyncRunList);
  });

  for (const paused of [true, false]) {
    router.post(
      `/:syncId/${paused ? 'pause' : 'resume'}`,
      requireTenantPermission(deps, 'connectors.manage'),
      async (req, res) => {
        const { connectionId, syncId } = parseParams(SyncPath, req);
        const access = tenantAccessOf(res);
        const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
          const connection = await connectionOr404(db, access.tenantId, connectionId);
          const current = await syncOr404(db, access.tenantId, connectionId, syncId);
          const row = (await setSyncPaused(db, access.tenantId, syncId, paused))!;
          if (current.paused !== paused)
            await appendAuditEntry(db, {
              tenantId: access.tenantId,
              actor: actorOf(req, res),
              action: paused ? 'connection.sync_paused' : 'connection.sync_resumed',
              targetType: 'connection_sync',
              targetId: syncId,
              before: { paused: current.paused },
              after: { paused },
            });
          // A connection that needs re-authorization keeps its schedules paused until it is reconnected.
          if (paused) await onSchedule(() => pauseSchedule(client, row.schedule_id, 'Paused by a member'));
          else if (connection.status === 'active')
            await onSchedule(() => resumeSchedule(client, row.schedule_id, 'Resumed by a member'));
          return row;
        });
        res.json(toSyncView(row, await scheduleOf(row)) satisfies ConnectionSync);
      },
    );
  }

  router.post('/:syncId/run', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId, syncId } = parseParams(SyncPath, req);
    const access = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const connection = await connectionOr404(db, access.tenantId, connectionId);
      if (connection.status !== 'active')
        throw new ProblemError(
          'conflict',
          `This connection is ${connection.status}; reconnect it before running its syncs.`,
        );
      const row = await syncOr404(db, access.tenantId, connectionId, syncId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connection.sync_run_requested',
        targetType: 'connection_sync',
        targetId: syncId,
      });
      // A run still going makes this one skip (the schedule's overlap policy).
      await onSchedule(() => triggerSchedule(client, row.schedule_id));
      return row;
    });
    res.status(202).json(toSyncView(row, await scheduleOf(row)) satisfies ConnectionSync);
  });

  router.post('/:syncId/backfill', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId, syncId } = parseParams(SyncPath, req);
    const body = parseBody(BackfillSyncRequest, req);
    const access = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const connection = await connectionOr404(db, access.tenantId, connectionId);
      if (connection.status !== 'active')
        throw new ProblemError(
          'conflict',
          `This connection is ${connection.status}; reconnect it before running its syncs.`,
        );
      const row = await syncOr404(db, access.tenantId, connectionId, syncId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connection.sync_backfill_requested',
        targetType: 'connection_sync',
        targetId: syncId,
        after: { start: body.start, end: body.end },
      });
      await onSchedule(() =>
        backfillSchedule(client, row.schedule_id, { start: new Date(body.start), end: new Date(body.end) }),
      );
      return row;
    });
    res.status(202).json(toSyncView(row, await scheduleOf(row)) satisfies ConnectionSync);
  });

  router.delete('/:syncId', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const { connectionId, syncId } = parseParams(SyncPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const row = await syncOr404(db, access.tenantId, connectionId, syncId);
      await deleteSync(db, access.tenantId, syncId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connection.sync_deleted',
        targetType: 'connection_sync',
        targetId: syncId,
        before: { resourcePath: row.resource_path, intervalSeconds: row.interval_seconds },
      });
      // Already gone on the server is what deleting wants.
      await deleteScheduleIfPresent(client, row.schedule_id);
    });
    res.status(204).end();
  });

  return router;
}

const SyncSchema = { 'application/json': { schema: ConnectionSyncSchema } };

export const syncsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/connections/{connectionId}/syncs': {
    get: {
      operationId: 'listConnectionSyncs',
      summary: "A connection's scheduled syncs",
      security: [{ bearer: [] }],
      requestParams: { path: ConnectionPath },
      responses: {
        200: { description: 'The syncs.', content: { 'application/json': { schema: ConnectionSyncListSchema } } },
        ...problemResponses(400, 401, 403, 404),
      },
    },
    post: {
      operationId: 'createConnectionSync',
      summary: 'Define a sync: a resource path on the provider API, pulled every `intervalSeconds`',
      description:
        'Creates the Temporal Schedule `connector-sync/<slug>/<connection>/<sync>`. The interval must be at least the platform minimum (CONNECTOR_SYNC_MIN_INTERVAL).',
      security: [{ bearer: [] }],
      requestParams: { path: ConnectionPath },
      requestBody: { content: { 'application/json': { schema: CreateSyncRequest } } },
      responses: {
        201: { description: 'The sync.', content: SyncSchema },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}': {
    get: {
      operationId: 'getConnectionSync',
      summary: 'One sync, with its schedule state',
      security: [{ bearer: [] }],
      requestParams: { path: SyncPath },
      responses: { 200: { description: 'The sync.', content: SyncSchema }, ...problemResponses(400, 401, 403, 404) },
    },
    delete: {
      operationId: 'deleteConnectionSync',
      summary: 'Delete a sync, its schedule, records and run history',
      security: [{ bearer: [] }],
      requestParams: { path: SyncPath },
      responses: { 204: { description: 'Deleted.' }, ...problemResponses(400, 401, 403, 404) },
    },
  },
  '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/runs': {
    get: {
      operationId: 'listConnectionSyncRuns',
      summary: "A sync's run history with counts, newest first",
      security: [{ bearer: [] }],
      requestParams: { path: SyncPath },
      responses: {
        200: { description: 'The runs.', content: { 'application/json': { schema: SyncRunListSchema } } },
        ...problemResponses(400, 401, 403, 404),
      },
    },
  },
  ...Object.fromEntries(
    (
      [
        ['pause', 'pauseConnectionSync', "Pause a sync (a member's pause: kept across reconnects)", 200],
        ['resume', 'resumeConnectionSync', 'Resume a sync a member paused', 200],
        ['run', 'runConnectionSyncNow', 'Run a sync once now ("run now")', 202],
      ] as const
    ).map(([action, operationId, summary, status]) => [
      `/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/${action}`,
      {
        post: {
          operationId,
          summary,
          security: [{ bearer: [] }],
          requestParams: { path: SyncPath },
          responses: {
            [status]: { description: 'The sync.', content: SyncSchema },
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
    ]),
  ),
  '/api/v1/tenants/{slug}/connections/{connectionId}/syncs/{syncId}/backfill': {
    post: {
      operationId: 'backfillConnectionSync',
      summary: 'Take, now, the runs the interval had due between start and end',
      security: [{ bearer: [] }],
      requestParams: { path: SyncPath },
      requestBody: { content: { 'application/json': { schema: BackfillSyncRequest } } },
      responses: {
        202: { description: 'The sync.', content: SyncSchema },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
};

export const syncsRoutes: RouteModule = {
  mounts: [{ path: '/tenants/:slug/connections/:connectionId/syncs', router: syncsRouter }],
  paths: syncsPaths,
};
