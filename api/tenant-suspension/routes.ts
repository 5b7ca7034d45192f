// /api/v1/tenants/:slug/suspend and /reactivate: platform admins close a tenant's API
// (with a reason its members see), revoke its SSO sessions and scale its workloads to
// zero — and undo exactly that. Both start a workflow and answer 202 with the operation.
import { Router } from 'express';
import type { Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import { OperationStarted } from '../../contracts/operations.ts';
import { ReactivateTenantRequest, SuspendTenantRequest } from '../../contracts/tenant-suspension.ts';
import { findOpenSuspension, nextSuspensionNumber } from '../../db/repositories/tenant-suspensions.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import type { StartResult } from '../operations/start-operation.ts';
import { startTenantReactivation, startTenantSuspension } from './starters.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function tenantSuspensionRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };
  const starter = () => ({
    client: deps.temporal.client,
    taskQueuePrefix: deps.temporal.taskQueuePrefix,
    timings: deps.settings.activityTimings,
  });

  function accepted(
    res: Response,
    kind: 'tenant-suspend' | 'tenant-reactivate',
    started: StartResult & { started: true },
  ) {
    const operation = startedOperation(
      { workflowId: started.workflowId, runId: started.runId, kind, tenantId: tenantAccessOf(res).tenantId },
      { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
    );
    return {
      status: 202,
      headers: { Location: operation.links.self },
      body: { operation } satisfies OperationStarted,
    };
  }

  async function tenantState(res: Response) {
    const { tenantId } = tenantAccessOf(res);
    return withTenantScope(deps.dataSource, tenantId, async (db) => ({
      tenant: await findTenantById(db, tenantId),
      open: await findOpenSuspension(db, tenantId),
      next: await nextSuspensionNumber(db, tenantId),
    }));
  }

  router.post('/suspend', requireTenantPermission(deps, 'tenant.lifecycle'), async (req, res) => {
    const { reason } = parseBody(SuspendTenantRequest, req);
    const access = tenantAccessOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const { tenant, open, next } = await tenantState(res);
      if (tenant?.status === 'suspended' || open)
        throw new ProblemError(
          'conflict',
          `"${access.slug}" is suspended already (suspension ${open?.number ?? '?'}).`,
        );
      if (tenant?.status !== 'active')
        throw new ProblemError(
          'conflict',
          `Only an active tenant can be suspended; "${access.slug}" is ${tenant?.status}.`,
        );
      const started = await startTenantSuspension(starter(), {
        tenantId: access.tenantId,
        slug: access.slug,
        number: next,
        reason,
        requestedBy: actorOf(req, res),
      });
      if (!started.started)
        throw new ProblemError('conflict', `Another tenant's operation holds ${started.workflowId}.`);
      deps.logger.info('Tenant suspension started', { workflowId: started.workflowId });
      return accepted(res, 'tenant-suspend', started);
    });
  });

  router.post('/reactivate', requireTenantPermission(deps, 'tenant.lifecycle'), async (req, res) => {
    parseBody(ReactivateTenantRequest, req);
    const access = tenantAccessOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const { tenant, open } = await tenantState(res);
      if (tenant?.status !== 'suspended' || !open)
        throw new ProblemError(
          'conflict',
          `"${access.slug}" is not suspended (it is ${tenant?.status}); a suspension still starting cannot be reversed yet.`,
        );
      const started = await startTenantReactivation(starter(), {
        tenantId: access.tenantId,
        slug: access.slug,
        number: open.number,
        requestedBy: actorOf(req, res),
      });
      if (!started.started)
        throw new ProblemError('conflict', `Another tenant's operation holds ${started.workflowId}.`);
      deps.logger.info('Tenant reactivation started', { workflowId: started.workflowId });
      return accepted(res, 'tenant-reactivate', started);
    });
  });

  return router;
}

const operationAnswer = {
  description: 'Started; follow the operation.',
  content: { 'application/json': { schema: OperationStarted } },
};

export const tenantSuspensionPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/suspend': {
    post: {
      operationId: 'suspendTenant',
      summary:
        'Suspend a tenant (platform admins): close its API, revoke its SSO sessions, scale its workloads to zero',
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: SuspendTenantRequest } } },
      responses: { 202: operationAnswer, ...problemResponses(400, 401, 403, 404, 409, 422) },
    },
  },
  '/api/v1/tenants/{slug}/reactivate': {
    post: {
      operationId: 'reactivateTenant',
      summary: 'Reactivate a suspended tenant (platform admins): reverse what its suspension applied',
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: ReactivateTenantRequest } } },
      responses: { 202: operationAnswer, ...problemResponses(400, 401, 403, 404, 409, 422) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const tenantSuspensionRoutes: RouteModule = routeModule(
  '/tenants/:slug',
  tenantSuspensionRouter,
  tenantSuspensionPaths,
);

export default [tenantSuspensionRoutes];
