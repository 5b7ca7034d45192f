// /api/v1/operations: long-running work, read from Temporal. Listing uses the visibility
// store (search attributes TenantId and OperationKind); one operation's progress comes from
// its workflow's getProgress query, polled for the Server-Sent Events stream. Every route
// needs sign-in; callers see their tenants' operations (api/auth/operation-access.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { Router } from 'express';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { OperationStreamEnd, OperationSummary } from '../../contracts/operations.ts';
import {
  OPERATION_KINDS,
  Operation,
  OperationList,
  OperationListQuery,
  OperationPath,
  OperationTrace,
} from '../../contracts/operations.ts';
import { OPERATION_CATALOGUE } from '../../workflows/catalogue.ts';
import { assertCanReadOperation, readableOperationTenants } from '../auth/operation-access.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseParams, parseQuery } from '../http/validate.ts';
import type { OperationViewOptions } from '../operations/operation-view.ts';
import { readOperation, toSummary } from '../operations/operation-view.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

/** How often an idle event stream sends a comment so proxies keep it open. */
const KEEPALIVE_MS = 15_000;

export function operationsRouter(deps: ApiDeps): Router {
  const router = Router();
  const view: OperationViewOptions = {
    client: deps.temporal.client,
    namespace: deps.temporal.namespace,
    temporalUiUrl: deps.temporal.uiPath,
  };

  router.use(requireAuth(deps.accessTokens));

  router.get('/', async (req, res) => {
    const { tenantId, kind, limit } = parseQuery(OperationListQuery, req);
    const readable = await readableOperationTenants(deps.dataSource, authOf(res));
    // Another tenant's id lists nothing, exactly like a tenant without operations.
    const tenantIds = tenantId ? (readable === null || readable.includes(tenantId) ? [tenantId] : []) : readable;
    if (tenantIds?.length === 0) {
      res.json({ items: [] } satisfies OperationList);
      return;
    }
    // Values are validated (UUID, enum) or come from the database, so interpolating them
    // cannot break the query.
    const clauses = [
      kind ? `OperationKind = "${kind}"` : `OperationKind IN (${OPERATION_KINDS.map((k) => `"${k}"`).join(', ')})`,
    ];
    if (tenantIds) clauses.push(`TenantId IN (${tenantIds.map((id) => `"${id}"`).join(', ')})`);
    const items: OperationSummary[] = [];
    for await (const execution of deps.temporal.client.workflow.list({ query: clauses.join(' AND ') })) {
      const summary = toSummary(execution, view);
      if (summary) items.push(summary);
      if (items.length >= limit) break;
    }
    res.json({ items } satisfies OperationList);
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseParams(OperationPath, req);
    const operation = await readOperation(id, view);
    if (!operation) throw new ProblemError('notFound', `No operation "${id}".`);
    await assertCanReadOperation(deps.dataSource, authOf(res), operation);
    res.json(operation satisfies Operation);
  });

  router.get('/:id/trace', async (req, res) => {
    const { id } = parseParams(OperationPath, req);
    const operation = await readOperation(id, view);
    if (!operation) throw new ProblemError('notFound', `No operation "${id}".`);
    await assertCanReadOperation(deps.dataSource, authOf(res), operation);
    if (!deps.traces) throw new ProblemError('tracingOff', 'Tracing is off: TRACES_QUERY_URL is not set.');
    let trace: OperationTrace | null;
    try {
      trace = await deps.traces.operationTrace(id, OPERATION_CATALOGUE[operation.kind].workflowType);
    } catch (error) {
      deps.logger.warn('Could not read a trace from Jaeger', { error });
      throw new ProblemError('unavailable', 'The trace store did not answer; try again shortly.');
    }
    if (!trace) throw new ProblemError('traceNotFound', `No trace of operation "${id}" yet (or it was not traced).`);
    res.json(trace satisfies OperationTrace);
  });

  router.get('/:id/events', async (req, res) => {
    const { id } = parseParams(OperationPath, req);
    let operation = await readOperation(id, view);
    if (!operation) throw new ProblemError('notFound', `No operation "${id}".`);
    await assertCanReadOperation(deps.dataSource, authOf(res), operation);

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let open = true;
    req.on('close', () => {
      open = false;
    });

    let lastSent = '';
    let lastWrite = Date.now();
    while (open) {
      const data = JSON.stringify(operation);
      if (data !== lastSent) {
        res.write(`event: progress\ndata: ${data}\n\n`);
        lastSent = data;
        lastWrite = Date.now();
      } else if (Date.now() - lastWrite > KEEPALIVE_MS) {
        res.write(': keepalive\n\n');
        lastWrite = Date.now();
      }
      if (operation.status !== 'running') {
        res.write(`event: end\ndata: ${JSON.stringify({ status: operation.status } satisfies OperationStreamEnd)}\n\n`);
        break;
      }
      await sleep(deps.settings.operationPollIntervalMs);
      if (!open) break;
      operation = (await readOperation(id, view)) ?? operation;
    }
    res.end();
  });

  return router;
}

export const operationsPaths: ZodOpenApiPathsObject = {
  '/api/v1/operations': {
    get: {
      operationId: 'listOperations',
      summary: 'List operations, newest first, filtered by tenant and kind',
      requestParams: { query: OperationListQuery },
      responses: {
        200: {
          description: 'Matching operations.',
          content: { 'application/json': { schema: OperationList } },
        },
        ...problemResponses(401, 422),
      },
    },
  },
  '/api/v1/operations/{id}': {
    get: {
      operationId: 'getOperation',
      summary: 'Read an operation and its step-by-step progress',
      requestParams: { path: OperationPath },
      responses: {
        200: { description: 'The operation.', content: { 'application/json': { schema: Operation } } },
        ...problemResponses(401, 404),
      },
    },
  },
  '/api/v1/operations/{id}/trace': {
    get: {
      operationId: 'getOperationTrace',
      summary: 'Read the trace of the request that started an operation (from Jaeger)',
      description:
        'The spans of the API request, the workflow, its activities and their calls, for a waterfall. 404 `tracing-off` when the API has no trace store, `trace-not-found` while none has arrived.',
      requestParams: { path: OperationPath },
      responses: {
        200: { description: 'The trace.', content: { 'application/json': { schema: OperationTrace } } },
        ...problemResponses(401, 404, 503),
      },
    },
  },
  '/api/v1/operations/{id}/events': {
    get: {
      operationId: 'streamOperation',
      summary: 'Follow an operation as Server-Sent Events',
      description:
        'Sends `event: progress` with the Operation JSON whenever it changes, then `event: end` once the operation has closed.',
      requestParams: { path: OperationPath },
      responses: {
        200: { description: 'An event stream.', content: { 'text/event-stream': { schema: z.string() } } },
        ...problemResponses(401, 404),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const operationsRoutes: RouteModule = routeModule('/operations', operationsRouter, operationsPaths);
