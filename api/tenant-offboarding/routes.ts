// /api/v1/tenants/:slug/offboard…: platform admins offboard a tenant (export its data, wait
// out a grace period, then delete everything provisioning built), call it off during the
// grace period, download the export and read the teardown report.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import {
  CancelTenantOffboardingRequest,
  OffboardTenantRequest,
  TenantOffboardingCancellation,
  TenantOffboardingStarted,
  TenantTeardownReport,
} from '../../contracts/tenant-offboarding.ts';
import { findLatestExport, findTeardownReport, teardownResources } from '../../db/repositories/tenant-offboarding.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import { OFFBOARD_TENANT_KIND } from '../../workflows/tenant-offboarding/contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { cancelTenantOffboarding, startTenantOffboarding } from './starter.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function tenantOffboardingRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use('/offboard', requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };
  const lifecycle = requireTenantPermission(deps, 'tenant.lifecycle');

  function operation(res: Response, workflowId: string, runId: string) {
    const summary = startedOperation(
      { workflowId, runId, kind: OFFBOARD_TENANT_KIND, tenantId: tenantAccessOf(res).tenantId },
      { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
    );
    return { links: summary.links, operation: summary };
  }

  router.post('/offboard', lifecycle, async (req: Request, res: Response) => {
    const body = parseBody(OffboardTenantRequest, req);
    const access = tenantAccessOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const tenant = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
        findTenantById(db, access.tenantId),
      );
      if (tenant?.status === 'offboarding' || tenant?.status === 'offboarded')
        throw new ProblemError('conflict', `"${access.slug}" is ${tenant.status} already.`);
      if (tenant?.status !== 'active' && tenant?.status !== 'suspended')
        throw new ProblemError(
          'conflict',
          `Only an active or suspended tenant can be offboarded; "${access.slug}" is ${tenant?.status}.`,
        );
      const gracePeriodMs = body.gracePeriod ?? deps.settings.offboardGracePeriodMs;
      const started = await startTenantOffboarding(
        {
          client: deps.temporal.client,
          taskQueuePrefix: deps.temporal.taskQueuePrefix,
          timings: deps.settings.activityTimings,
        },
        {
          tenantId: access.tenantId,
          slug: access.slug,
          reason: body.reason,
          gracePeriodMs,
          requestedBy: actorOf(req, res),
          finalWebhookDeliveryWaitMs: deps.settings.webhooks.finalDeliveryWaitMs,
          finalReconciliation: {
            taskQueue: familyTaskQueue(deps.temporal.taskQueuePrefix, 'metering'),
            policy: deps.settings.metering.policy,
          },
        },
      );
      if (!started.started)
        throw new ProblemError('conflict', `Another tenant's operation holds ${started.workflowId}.`);
      deps.logger.info('Tenant offboarding started', { workflowId: started.workflowId, gracePeriodMs });
      const view = operation(res, started.workflowId, started.runId);
      return {
        status: 202,
        headers: { Location: view.links.self },
        body: {
          operation: view.operation,
          offboarding: { gracePeriodMs, deleteAfter: new Date(Date.now() + gracePeriodMs).toISOString() },
        } satisfies TenantOffboardingStarted,
      };
    });
  });

  router.post('/offboard/cancel', lifecycle, async (req: Request, res: Response) => {
    parseBody(CancelTenantOffboardingRequest, req);
    const access = tenantAccessOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const answer = await cancelTenantOffboarding(deps.temporal.client, access.slug, actorOf(req, res));
      if (answer.outcome === 'not-running')
        throw new ProblemError('conflict', `No offboarding of "${access.slug}" is running.`);
      if (answer.outcome === 'too-late')
        throw new ProblemError(
          'conflict',
          `The grace period of "${access.slug}" is over and deletion has begun; it can no longer be cancelled.`,
        );
      const workflowId = `${OFFBOARD_TENANT_KIND}/${access.slug}`;
      deps.logger.info('Tenant offboarding cancel', { workflowId, outcome: answer.outcome });
      const view = operation(res, workflowId, answer.runId);
      return {
        status: 202,
        headers: { Location: view.links.self },
        body: {
          operation: view.operation,
          // `requested`: no worker confirmed within 10 s; follow the operation.
          cancellation: answer.outcome === 'cancelled' ? ('confirmed' as const) : ('requested' as const),
        } satisfies TenantOffboardingCancellation,
      };
    });
  });

  router.get('/offboard/export', lifecycle, async (_req: Request, res: Response) => {
    const access = tenantAccessOf(res);
    const stored = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findLatestExport(db, access.tenantId),
    );
    if (!stored) throw new ProblemError('notFound', `"${access.slug}" has no data export (offboard it first).`);
    res.status(200);
    res.set({
      'Content-Type': stored.media_type,
      'Content-Length': String(stored.size_bytes),
      'Content-Disposition': `attachment; filename="${stored.file_name}"`,
      ETag: `"sha256-${stored.sha256}"`,
      'Cache-Control': 'no-store',
    });
    res.end(stored.archive);
  });

  router.get('/offboard/report', lifecycle, async (_req: Request, res: Response) => {
    const access = tenantAccessOf(res);
    const { report, tenant } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => ({
      report: await findTeardownReport(db, access.tenantId),
      tenant: await findTenantById(db, access.tenantId),
    }));
    if (!report) throw new ProblemError('notFound', `"${access.slug}" has no teardown report (offboard it first).`);
    res.json({
      tenantId: access.tenantId,
      slug: access.slug,
      status: tenant?.status ?? 'unknown',
      operationId: report.operation_id,
      reason: report.reason,
      startedAt: report.started_at.toISOString(),
      cancelledAt: report.cancelled_at?.toISOString() ?? null,
      completedAt: report.completed_at?.toISOString() ?? null,
      resources: teardownResources(report),
      steps: report.steps,
    } satisfies TenantTeardownReport);
  });

  return router;
}

const slugParams = { path: TenantPath };
const postParams = { ...slugParams, header: IdempotencyKeyHeader };

export const tenantOffboardingPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/offboard': {
    post: {
      operationId: 'offboardTenant',
      summary:
        'Offboard a tenant (platform admins): close it, export its data, wait out the grace period, then delete its resources',
      requestParams: postParams,
      requestBody: { content: { 'application/json': { schema: OffboardTenantRequest } } },
      responses: {
        202: {
          description: 'Accepted; follow the operation.',
          content: { 'application/json': { schema: TenantOffboardingStarted } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/offboard/cancel': {
    post: {
      operationId: 'cancelTenantOffboarding',
      summary: 'Cancel an offboarding during its grace period (platform admins); 409 once deletion began',
      requestParams: postParams,
      requestBody: { content: { 'application/json': { schema: CancelTenantOffboardingRequest } } },
      responses: {
        202: {
          description: 'Accepted; follow the operation.',
          content: { 'application/json': { schema: TenantOffboardingCancellation } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/offboard/export': {
    get: {
      operationId: 'downloadTenantExport',
      summary: "Download the tenant's data export (tar.gz) made by its latest offboarding (platform admins)",
      requestParams: slugParams,
      responses: {
        200: {
          description: 'The archive',
          content: { 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/offboard/report': {
    get: {
      operationId: 'getTenantTeardownReport',
      summary: 'What offboarding deleted, with the evidence that each resource is gone (platform admins)',
      requestParams: slugParams,
      responses: {
        200: { description: 'The report', content: { 'application/json': { schema: TenantTeardownReport } } },
        ...problemResponses(401, 403, 404),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const tenantOffboardingRoutes: RouteModule = routeModule(
  '/tenants/:slug',
  tenantOffboardingRouter,
  tenantOffboardingPaths,
);

export default [tenantOffboardingRoutes];
