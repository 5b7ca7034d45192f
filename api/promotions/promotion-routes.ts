// /api/v1/tenants/:slug/environments/:environment/promotions: a release promoted into one of
// the tenant's environments (docs/decisions/0023).
//
//   GET   /   the environment's promotions, newest first (tenant.read)
//   POST  /   promote {release}: the plan's `promotions` feature, the environment ready, the
//             release known, the caller's role among the environment's deployRoles, no other
//             promotion open there; records the promotion (requested) with the environment's
//             next number and starts `promotion/<slug>/<environment>/<number>` with the
//             environment's effective approval policy. 202 with the promotion and its operation.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import type { Promotion, PromotionList, PromotionStarted } from '../../contracts/promotions.ts';
import {
  CreatePromotionRequest,
  PromotionList as PromotionListSchema,
  PromotionsPath,
  PromotionStarted as PromotionStartedSchema,
} from '../../contracts/promotions.ts';
import { effectiveApprovalPolicy } from '../../db/repositories/approval-policies.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { PromotionRow } from '../../db/repositories/promotions.ts';
import {
  findOpenPromotion,
  insertPromotion,
  listPromotions,
  lockPromotions,
} from '../../db/repositories/promotions.ts';
import { findRelease } from '../../db/repositories/releases.ts';
import { findEnvironment } from '../../db/repositories/tenant-environments.ts';
import { withTenantScope } from '../../db/scope.ts';
import { PROMOTION_KIND, promotionWorkflowId } from '../../workflows/promotions/contract.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { requirePromotionsFeature } from '../routes/releases.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { startPromotion } from './starter.ts';

export function toPromotionView(row: PromotionRow): Promotion {
  return {
    environment: row.environment,
    number: row.number,
    release: row.release_number,
    previousRelease: row.previous_release,
    status: row.status,
    detail: row.detail,
    operationId: row.operation_id,
    requestedBy: row.requested_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

export function promotionsRouter(deps: ApiDeps): Router {
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

  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }) => {
      const { environment } = parseParams(PromotionsPath, req);
      if (!(await findEnvironment(db, access.tenantId, environment)))
        throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
      const rows = await listPromotions(db, access.tenantId, environment);
      return { items: rows.map(toPromotionView) } satisfies PromotionList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'releases.manage'), async (req, res) => {
    const { environment } = parseParams(PromotionsPath, req);
    const access = tenantAccessOf(res);
    requirePromotionsFeature(access);
    const body = parseBody(CreatePromotionRequest, req);
    const auth = authOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const startedRun: { workflowId?: string } = {};
      const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const target = await findEnvironment(db, access.tenantId, environment);
        if (!target) throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
        if (target.status !== 'ready')
          throw new ProblemError(
            'conflict',
            `Environment "${environment}" is ${target.status}; promote once it is ready.`,
          );
        const deployRoles: readonly string[] = target.protection.deployRoles;
        if (!deployRoles.includes(access.role))
          throw new ProblemError(
            'forbidden',
            `Your role "${access.role}" may not deploy to "${environment}" (its protection allows: ${deployRoles.join(', ')}).`,
          );
        if (!(await findRelease(db, access.tenantId, body.release)))
          throw new ProblemError('validation', `The tenant has no release ${body.release}.`, {
            errors: [{ path: 'release', message: 'Choose a release of this tenant.' }],
          });
        await lockPromotions(db, access.tenantId, environment);
        const open = await findOpenPromotion(db, access.tenantId, environment);
        if (open)
          throw new ProblemError(
            'conflict',
            `Promotion ${open.number} of release ${open.release_number} is still ${open.status} in "${environment}"; wait for it to end.`,
          );
        const row = await insertPromotion(db, {
          tenant_id: access.tenantId,
          environment,
          release_number: body.release,
          operation_id: (number) => promotionWorkflowId(access.slug, environment, number),
          requested_by: auth.apiKey ? null : auth.userId,
        });
        const { policy } = await effectiveApprovalPolicy(db, access.tenantId, environment);
        const started = await startPromotion(starter, {
          tenantId: access.tenantId,
          slug: access.slug,
          environment,
          number: row.number,
          release: body.release,
          requestedBy: actorOf(req, res),
          requesterId: auth.apiKey ? null : auth.userId,
          requesterRole: access.role,
          policy,
          rollout: deps.settings.promotionRollout,
        });
        if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
        startedRun.workflowId = started.workflowId;
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'promotion.requested',
          targetType: 'promotion',
          targetId: `${environment}/${row.number}`,
          after: { release: body.release, operation: row.operation_id },
        });
        return { row, started };
      }).catch(async (error: unknown) => {
        // Nothing half-applied: a started workflow whose promotion did not commit is called off.
        if (startedRun.workflowId)
          await deps.temporal.client.workflow
            .getHandle(startedRun.workflowId)
            .terminate('its promotion was not recorded')
            .catch(() => undefined);
        throw error;
      });
      deps.logger.info('Promotion started', { workflowId: row.operation_id, environment, release: body.release });
      return {
        status: 202,
        headers: { Location: `/api/v1/tenants/${access.slug}/environments/${environment}/promotions` },
        body: {
          promotion: toPromotionView(row),
          operation: startedOperation(
            { workflowId: row.operation_id, runId: started.runId, kind: PROMOTION_KIND, tenantId: access.tenantId },
            view,
          ),
        } satisfies PromotionStarted,
      };
    });
  });

  return router;
}

export const promotionsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/environments/{environment}/promotions': {
    get: {
      operationId: 'listPromotions',
      summary: "An environment's promotions, newest first",
      security: [{ bearer: [] }],
      requestParams: { path: PromotionsPath },
      responses: {
        200: { description: 'The promotions.', content: { 'application/json': { schema: PromotionListSchema } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    post: {
      operationId: 'promoteRelease',
      summary: 'Promote a release into the environment (starts promoteRelease)',
      description:
        "Needs the plan's `promotions` feature (403 `plan-feature-missing`) and a role among the environment's `deployRoles` (403). The release must exist (422 on `release`), the environment be ready and have no other open promotion (409). Records the promotion (`requested`) and starts `promotion/<slug>/<environment>/<number>`: check, approval when the environment's policy asks for one, deploy, watch, roll back to the previous release on failure.",
      security: [{ bearer: [] }],
      requestParams: { path: PromotionsPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: CreatePromotionRequest } } },
      responses: {
        202: {
          description: 'Started: the promotion and its operation.',
          content: { 'application/json': { schema: PromotionStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
};

export const promotionsRoutes: RouteModule = routeModule(
  '/tenants/:slug/environments/:environment/promotions',
  promotionsRouter,
  promotionsPaths,
);
