// /api/v1/tenants/:slug/plan and …/plan-changes: what the tenant's plan gives and what it uses,
// what each other plan would give (and what a downgrade would require removing), and changing
// it. A change is recorded (plan_changes) and runs as the workflow `tenant-plan/<slug>/<n>`;
// the answer is 202 with the operation. A downgrade the tenant exceeds is refused here, before
// anything is recorded, and checked again by the workflow when it takes effect. A change into
// a plan in APPROVAL_PLANS waits for a platform admin's approval, as provisioning on it does.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import {
  ChangePlanRequest,
  PlanChangePath,
  PlanChangeRecord,
  PlanChangeStarted,
  TenantPlanOverview,
} from '../../contracts/plans.ts';
import type { PlanChangeRow } from '../../db/repositories/plan-changes.ts';
import {
  findOpenPlanChange,
  findPlanChange,
  insertPlanChange,
  listPlanChanges,
  nextPlanChangeNumber,
  updatePlanChange,
} from '../../db/repositories/plan-changes.ts';
import { countPlanUsage } from '../../db/repositories/plan-usage.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { changePlan } from '../../workflows/billing/change-plan.ts';
import { tenantApprovalPolicy } from '../../workflows/approvals/policy.ts';
import { cancelPlanChangeSignal, CHANGE_PLAN_KIND, changePlanWorkflowId } from '../../workflows/billing/contract.ts';
import { planBlockers, planDirection } from '../../workflows/shared/plan-fit.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { PLAN_NAMES, planDefinition } from '../../workflows/shared/plans.ts';
import { roleAllows } from '../auth/permissions.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { startOperation } from '../operations/start-operation.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

const HISTORY = 20;
const OPEN_STATUSES: ReadonlyArray<PlanChangeRow['status']> = ['requested', 'awaiting-approval', 'scheduled'];

export function planChangeRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };

  router.get('/plan', requireTenantPermission(deps, 'tenant.read'), async (_req, res) => {
    const access = tenantAccessOf(res);
    const current = access.tenant.plan;
    const auth = res.locals.auth as { platformAdmin?: boolean; apiKey?: unknown };
    const overview = await withTenantScope(
      deps.dataSource,
      access.tenantId,
      async (db): Promise<TenantPlanOverview> => {
        const usage = await countPlanUsage(db, access.tenantId);
        const history = await listPlanChanges(db, access.tenantId, HISTORY);
        const open = history.find((row) => OPEN_STATUSES.includes(row.status)) ?? null;
        return {
          plan: current,
          usage,
          options: PLAN_NAMES.map((plan) => {
            const definition = planDefinition(plan);
            return {
              plan,
              features: [...definition.features],
              limits: { ...definition.limits },
              change: planDirection(current, plan),
              blockers: planBlockers(usage, plan),
              needsApproval: plan !== current && deps.settings.approval.plans.includes(plan),
            };
          }),
          pending: open && toRecord(access.slug, open),
          history: history.map((row) => toRecord(access.slug, row)),
          canChange: (auth.platformAdmin === true && !auth.apiKey) || roleAllows(access.role, 'plan.change'),
        };
      },
    );
    res.json(overview);
  });

  router.post('/plan-changes', requireTenantPermission(deps, 'plan.change'), async (req, res) => {
    const body = parseBody(ChangePlanRequest, req);
    const access = tenantAccessOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const from = access.tenant.plan;
      const direction = planDirection(from, body.plan);
      if (direction === 'current')
        throw new ProblemError('conflict', `"${access.slug}" is on the ${from} plan already.`, {
          errors: [{ path: 'plan', message: `Already the ${from} plan.` }],
        });
      if (access.tenant.status !== 'active')
        throw new ProblemError(
          'conflict',
          `Only an active tenant can change its plan; "${access.slug}" is ${access.tenant.status}.`,
        );
      const timing = direction === 'upgrade' ? 'now' : (body.timing ?? 'period-end');
      const actor = actorOf(req, res);
      const number = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const open = await findOpenPlanChange(db, access.tenantId);
        if (open) throw openChangeConflict(access.slug, open);
        const blockers = planBlockers(await countPlanUsage(db, access.tenantId), body.plan);
        if (blockers.length > 0)
          throw new ProblemError(
            'planExceeded',
            `"${access.slug}" uses more than the ${body.plan} plan allows. ${blockers.map((b) => b.message).join(' ')}`,
            { errors: blockers.map((blocker) => ({ path: 'plan', message: blocker.message })) },
          );
        const next = await nextPlanChangeNumber(db, access.tenantId);
        const recorded = await insertPlanChange(db, {
          tenant_id: access.tenantId,
          number: next,
          from_plan: from,
          to_plan: body.plan,
          direction,
          timing,
          requested_by: actor,
        });
        // Another request recorded a change at the same moment (the one-open-change index).
        if (!recorded) {
          const other = await findOpenPlanChange(db, access.tenantId);
          throw other
            ? openChangeConflict(access.slug, other)
            : new ProblemError('conflict', 'Another plan change was requested at the same moment; try again.');
        }
        return next;
      });

      const workflowId = changePlanWorkflowId(access.slug, number);
      const { approval } = deps.settings;
      const needsApproval = approval.plans.includes(body.plan);
      let started;
      try {
        started = await startOperation(
          {
            client: deps.temporal.client,
            taskQueuePrefix: deps.temporal.taskQueuePrefix,
            timings: deps.settings.activityTimings,
          },
          {
            workflowId,
            kind: CHANGE_PLAN_KIND,
            tenantId: access.tenantId,
            args: [
              {
                tenantId: access.tenantId,
                slug: access.slug,
                number,
                from,
                to: body.plan,
                direction,
                timing,
                requestedBy: actor,
                timings: deps.settings.activityTimings,
                // Who asked and the policy travel in the input: what the workflow judges by is in its history.
                ...(needsApproval
                  ? {
                      approval: {
                        requesterId: actor.type === 'user' ? actor.id : null,
                        timeoutMs: approval.timeoutMs,
                        policy: tenantApprovalPolicy(approval.timeoutMs, approval.approvers),
                      },
                    }
                  : {}),
              },
            ] satisfies Parameters<typeof changePlan>,
          },
        );
      } catch (error) {
        // Not started: the recorded change must not block the next request.
        await withTenantScope(deps.dataSource, access.tenantId, (db) =>
          updatePlanChange(db, access.tenantId, number, { status: 'failed', detail: 'The operation could not start.' }),
        );
        throw error;
      }
      if (!started.started) throw new ProblemError('conflict', `Another tenant's operation holds ${workflowId}.`);
      deps.logger.info('Plan change started', { workflowId, from, to: body.plan, timing, needsApproval });
      const operation = startedOperation(
        { workflowId, runId: started.runId, kind: CHANGE_PLAN_KIND, tenantId: access.tenantId },
        { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
      );
      return {
        status: 202,
        headers: { Location: operation.links.self },
        body: { operation, approvalRequired: needsApproval } satisfies PlanChangeStarted,
      };
    });
  });

  router.post('/plan-changes/:number/cancel', requireTenantPermission(deps, 'plan.change'), async (req, res) => {
    const { number } = parseParams(PlanChangePath, req);
    const access = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findPlanChange(db, access.tenantId, number),
    );
    if (!row) throw new ProblemError('notFound', `"${access.slug}" has no plan change ${number}.`);
    if (row.status !== 'scheduled')
      throw new ProblemError(
        'conflict',
        row.status === 'requested'
          ? `Plan change ${number} is being applied now; it can no longer be cancelled.`
          : row.status === 'awaiting-approval'
            ? `Plan change ${number} waits for a platform admin's approval; it cannot be cancelled (a platform admin can reject it).`
            : `Plan change ${number} is ${row.status}; only a scheduled downgrade can be cancelled.`,
      );
    await deps.temporal.client.workflow
      .getHandle(changePlanWorkflowId(access.slug, number))
      .signal(cancelPlanChangeSignal, { actor: actorOf(req, res) });
    deps.logger.info('Plan change cancellation asked', { number });
    res.status(202).json(toRecord(access.slug, row));
  });

  return router;
}

function openChangeConflict(slug: string, open: PlanChangeRow): ProblemError {
  const when = open.status === 'scheduled' && open.effective_at ? ` for ${open.effective_at.toISOString()}` : '';
  return new ProblemError(
    'conflict',
    `"${slug}" has a plan change to ${open.to_plan} ${open.status}${when} (change ${open.number}); cancel it first or wait until it is done.`,
  );
}

function toRecord(slug: string, row: PlanChangeRow): PlanChangeRecord {
  return {
    number: row.number,
    from: row.from_plan as PlanName,
    to: row.to_plan as PlanName,
    direction: row.direction,
    timing: row.timing,
    status: row.status,
    effectiveAt: row.effective_at?.toISOString() ?? null,
    detail: row.detail,
    requestedAt: row.requested_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    workflowId: changePlanWorkflowId(slug, row.number),
  };
}

export const planChangePaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/plan': {
    get: {
      operationId: 'getTenantPlan',
      summary:
        "The tenant's plan and usage, every plan with what a change to it would require, the pending change and the latest ones",
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'The overview.',
          content: { 'application/json': { schema: TenantPlanOverview } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/plan-changes': {
    post: {
      operationId: 'changeTenantPlan',
      summary:
        'Change the plan (owners): a change into a plan that needs approval (APPROVAL_PLANS) waits for a platform admin other than the requester; upgrades take effect now; downgrades at the end of the billing period unless `timing` is `now`. A downgrade the tenant exceeds is refused (problem `plan-exceeded` naming what to remove).',
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: ChangePlanRequest } } },
      responses: {
        202: {
          description:
            'Started; follow the operation. A change into a plan in APPROVAL_PLANS waits for a platform admin (`approvalRequired`).',
          content: { 'application/json': { schema: PlanChangeStarted } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/plan-changes/{number}/cancel': {
    post: {
      operationId: 'cancelTenantPlanChange',
      summary: 'Cancel a scheduled downgrade before it takes effect (owners)',
      requestParams: { path: PlanChangePath },
      responses: {
        202: {
          description: 'Cancellation asked; the change becomes `cancelled` (the answer shows it as it was).',
          content: { 'application/json': { schema: PlanChangeRecord } },
        },
        ...problemResponses(400, 401, 403, 404, 409),
      },
    },
  },
};

export const planChangeRoutes: RouteModule = routeModule('/tenants/:slug', planChangeRouter, planChangePaths);
