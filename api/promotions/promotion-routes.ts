// /api/v1/tenants/:slug/environments/:environment/promotions: a release promoted into one of
// the tenant's environments (docs/decisions/0023).
//
//   GET   /   the environment's promotions, newest first (tenant.read)
//   GET   /preview?release=N   what promoting release N there would meet: whether the caller
//             may start it (blockers), the approval, the soak time, a freeze in force (tenant.read)
//   POST  /   promote {release}: the plan's `promotions` feature, the environment ready, the
//             release known, the caller's role among the environment's deployRoles, no other
//             promotion open there; records the promotion (requested) with the environment's
//             next number and starts `promotion/<slug>/<environment>/<number>` with the
//             environment's effective approval policy. 202 with the promotion and its operation.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import type { Promotion, PromotionList, PromotionPreview, PromotionStarted } from '../../contracts/promotions.ts';
import {
  CreatePromotionRequest,
  PromotionList as PromotionListSchema,
  PromotionPreview as PromotionPreviewSchema,
  PromotionPreviewQuery,
  PromotionsPath,
  PromotionStarted as PromotionStartedSchema,
} from '../../contracts/promotions.ts';
import { effectiveApprovalPolicy } from '../../db/repositories/approval-policies.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { readPromotionGates, soakRefusal } from '../../db/repositories/promotion-gates.ts';
import type { PromotionRow } from '../../db/repositories/promotions.ts';
import {
  findOpenPromotion,
  insertPromotion,
  lastSucceededRelease,
  listPromotions,
  lockPromotions,
} from '../../db/repositories/promotions.ts';
import { findRelease } from '../../db/repositories/releases.ts';
import { findEnvironment } from '../../db/repositories/tenant-environments.ts';
import { withTenantScope } from '../../db/scope.ts';
import { applicableRule } from '../../workflows/approvals/policy.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import { PROMOTION_KIND, promotionWorkflowId } from '../../workflows/promotions/contract.ts';
import { roleAllows } from '../auth/permissions.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams, parseQuery } from '../http/validate.ts';
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

  router.get(
    '/preview',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }) => {
      const { environment } = parseParams(PromotionsPath, req);
      const { release } = parseQuery(PromotionPreviewQuery, req);
      const target = await findEnvironment(db, access.tenantId, environment);
      if (!target) throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
      if (!(await findRelease(db, access.tenantId, release)))
        throw new ProblemError('validation', `The tenant has no release ${release}.`, {
          errors: [{ path: 'release', message: 'Choose a release of this tenant.' }],
        });
      const now = new Date();
      const gates = await readPromotionGates(db, access.tenantId, target, release, now);
      const blockers: string[] = [];
      if (!planDefinition(access.tenant.plan).features.includes('promotions'))
        blockers.push(`The ${access.tenant.plan} plan does not include promotions.`);
      if (!roleAllows(access.role, 'releases.manage'))
        blockers.push(`Your role "${access.role}" may not promote releases.`);
      else if (!(target.protection.deployRoles as readonly string[]).includes(access.role))
        blockers.push(
          `Your role "${access.role}" may not deploy to "${environment}" (its protection allows: ${target.protection.deployRoles.join(', ')}).`,
        );
      if (target.status !== 'ready') blockers.push(`Environment "${environment}" is ${target.status}, not ready.`);
      const open = await findOpenPromotion(db, access.tenantId, environment);
      if (open)
        blockers.push(`Promotion ${open.number} of release ${open.release_number} is still ${open.status} there.`);
      const unsoaked = soakRefusal(environment, release, gates.soak);
      if (unsoaked) blockers.push(unsoaked);
      const { policy } = await effectiveApprovalPolicy(db, access.tenantId, environment);
      const rule = applicableRule(policy, { environment });
      return {
        environment,
        release,
        currentRelease: await lastSucceededRelease(db, access.tenantId, environment, null),
        canPromote: blockers.length === 0,
        blockers,
        approval: rule && rule.stages.length > 0 ? { rule: rule.name, stages: rule.stages } : null,
        soak: gates.soak && {
          minutes: gates.soak.minutes,
          previousEnvironment: gates.soak.previousEnvironment,
          ranSince: gates.soak.ranSince?.toISOString() ?? null,
          soakedAt: gates.soak.soakedAt?.toISOString() ?? null,
        },
        freeze: gates.freeze && { reason: gates.freeze.reason, until: gates.freeze.until.toISOString() },
      } satisfies PromotionPreview;
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
        const { soak } = await readPromotionGates(db, access.tenantId, target, body.release, new Date());
        const unsoaked = soakRefusal(environment, body.release, soak);
        if (unsoaked)
          throw new ProblemError('conflict', unsoaked, {
            errors: [{ path: 'release', message: `Promote it to "${soak!.previousEnvironment}" first.` }],
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
        "Needs the plan's `promotions` feature (403 `plan-feature-missing`) and a role among the environment's `deployRoles` (403). The release must exist (422 on `release`), the environment be ready and have no other open promotion (409), and the release have run in the previous environment when this one asks for a soak time (409). Records the promotion (`requested`) and starts `promotion/<slug>/<environment>/<number>`: check, approval when the environment's policy asks for one, hold (`held`) while a freeze window, the soak time or a suspension lasts, deploy, watch, roll back to the previous release on failure.",
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
  '/api/v1/tenants/{slug}/environments/{environment}/promotions/preview': {
    get: {
      operationId: 'previewPromotion',
      summary: 'What promoting a release into the environment would meet',
      description:
        'Whether the caller may start the promotion now (`blockers` say why not), the approval the environment’s policy asks for, the soak time in the previous environment and a freeze window in force. A soak time not yet passed and a freeze hold a started promotion before it deploys (status `held`); a release that never ran in the previous environment is refused (409).',
      security: [{ bearer: [] }],
      requestParams: { path: PromotionsPath, query: PromotionPreviewQuery },
      responses: {
        200: { description: 'The preview.', content: { 'application/json': { schema: PromotionPreviewSchema } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
};

export const promotionsRoutes: RouteModule = routeModule(
  '/tenants/:slug/environments/:environment/promotions',
  promotionsRouter,
  promotionsPaths,
);
