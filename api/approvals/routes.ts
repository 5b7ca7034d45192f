// The approvals queue and decisions:
//   GET  /api/v1/approvals                                   the caller's queue across their tenants
//   GET  /api/v1/tenants/:slug/approvals                     one tenant's requests
//   POST /api/v1/tenants/:slug/approvals/:requestId/approve  approve (optional comment)
//   POST /api/v1/tenants/:slug/approvals/:requestId/reject   reject (comment required)
// A decision is authorised by the request's policy (api/approvals/decide.ts), not by a
// tenant permission: any member may reach the route, the policy says who may decide.
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApprovalRequestView } from '../../contracts/approvals.ts';
import {
  ApprovalDecisionResult,
  ApprovalQueue,
  ApprovalQueueQuery,
  ApprovalRequestPath,
  ApproveRequestBody,
  RejectRequestBody,
} from '../../contracts/approvals.ts';
import { TenantPath } from '../../contracts/common.ts';
import type { ApprovalRequestRow } from '../../db/repositories/approvals.ts';
import { findApprovalRequest, listApprovalRequests } from '../../db/repositories/approvals.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import type { Approver } from '../../workflows/approvals/policy.ts';
import { approvalsCounted, describeRequirement } from '../../workflows/approvals/policy.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams, parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { approverOf, decideApprovalRequest, decidingAs, ruleOf, standInsOf } from './decide.ts';

function viewOf(
  request: ApprovalRequestRow,
  caller: { approver: Approver; standIns: Approver[] } | null,
): ApprovalRequestView {
  const stage = ruleOf(request)?.stages[request.stage];
  // Whether the caller may decide: in person, or standing in for an absent approver.
  const verdict = caller ? decidingAs(request, caller.approver, caller.standIns, 'approve', null).verdict : null;
  return {
    id: request.id,
    tenant: { id: request.tenantId, slug: request.tenantSlug },
    subject: request.subject,
    requesterId: request.requesterId,
    rule: request.rule,
    stage: {
      index: request.stage,
      name: stage?.name ?? '',
      needs: stage ? describeRequirement(stage.approvers) : '',
      approvals: approvalsCounted(request.stage, request.decisions),
    },
    status: request.status,
    reason: request.reason,
    expiresAt: request.expiresAt.toISOString(),
    createdAt: request.createdAt.toISOString(),
    decisions: request.decisions.map((d) => ({
      ...d,
      createdAt: d.createdAt.toISOString(),
      onBehalfOf: d.onBehalfOf ?? null,
    })),
    canDecide: verdict?.allowed ?? false,
    cannotDecideBecause: verdict && !verdict.allowed ? verdict.reason : null,
    operation: { id: request.workflowId },
  };
}

/** Views of `requests` for the caller, each judged with the caller's role and groups in its tenant. */
async function viewsFor(db: EntityManager, requests: ApprovalRequestRow[], userId: string, platformAdmin: boolean) {
  const callers = new Map<string, { approver: Approver; standIns: Approver[] }>();
  const views: ApprovalRequestView[] = [];
  for (const request of requests) {
    let caller = callers.get(request.tenantId);
    if (!caller) {
      caller = {
        approver: await approverOf(db, request.tenantId, userId, platformAdmin),
        standIns: await standInsOf(db, request.tenantId, userId),
      };
      callers.set(request.tenantId, caller);
    }
    views.push(viewOf(request, caller));
  }
  return views;
}

export function approvalQueueRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));

  router.get('/', async (req, res) => {
    const query = parseQuery(ApprovalQueueQuery, req);
    const auth = authOf(res);
    const approvals = await withPlatformScope(deps.dataSource, async (db) => {
      // Platform admins see every tenant's requests; anyone else those of their tenants.
      let tenantIds: string[] | undefined;
      if (!auth.platformAdmin) {
        const rows = await db.query<Array<{ tenant_id: string }>>(
          `SELECT tenant_id FROM memberships WHERE user_id = $1`,
          [auth.userId],
        );
        tenantIds = rows.map((row) => row.tenant_id);
      }
      if (query.tenant) {
        const tenant = await db.query<Array<{ id: string }>>(`SELECT id FROM tenants WHERE slug = $1`, [query.tenant]);
        const id = tenant[0]?.id;
        tenantIds = id && (!tenantIds || tenantIds.includes(id)) ? [id] : [];
      }
      const requests = await listApprovalRequests(db, {
        status: query.status,
        ...(query.kind ? { subjectKind: query.kind } : {}),
        ...(tenantIds ? { tenantIds } : {}),
        limit: query.limit,
      });
      const views = await viewsFor(db, requests, auth.userId, auth.platformAdmin);
      return query.mine ? views.filter((view) => view.canDecide) : views;
    });
    res.json({ approvals } satisfies ApprovalQueue);
  });
  return router;
}

export function tenantApprovalsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'tenant.read'), async (req, res) => {
    const query = parseQuery(ApprovalQueueQuery.omit({ tenant: true }), req);
    const { tenantId } = tenantAccessOf(res);
    const auth = authOf(res);
    const approvals = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const requests = await listApprovalRequests(db, {
        status: query.status,
        ...(query.kind ? { subjectKind: query.kind } : {}),
        tenantIds: [tenantId],
        limit: query.limit,
      });
      if (auth.apiKey) return requests.map((request) => viewOf(request, null));
      const views = await viewsFor(db, requests, auth.userId, auth.platformAdmin);
      return query.mine ? views.filter((view) => view.canDecide) : views;
    });
    res.json({ approvals } satisfies ApprovalQueue);
  });

  const decide = (action: 'approve' | 'reject') => async (req: Request, res: Response) => {
    const { requestId } = parseParams(ApprovalRequestPath, req);
    const body = action === 'approve' ? parseBody(ApproveRequestBody, req) : parseBody(RejectRequestBody, req);
    const { tenantId } = tenantAccessOf(res);
    const request = await withTenantScope(deps.dataSource, tenantId, (db) => findApprovalRequest(db, requestId));
    if (!request) throw new ProblemError('notFound', `No approval request "${requestId}".`);
    const outcome = await decideApprovalRequest(deps, req, res, request, action, body.comment ?? null);
    deps.logger.info('Approval decision taken', { requestId, action, status: outcome.status });
    res.json(outcome satisfies ApprovalDecisionResult);
  };
  router.post('/:requestId/approve', requireTenantPermission(deps, 'tenant.read'), decide('approve'));
  router.post('/:requestId/reject', requireTenantPermission(deps, 'tenant.read'), decide('reject'));
  return router;
}

const decisionResponses = {
  200: {
    description: 'Taken: the request is still pending (more approvals needed), approved or rejected.',
    content: { 'application/json': { schema: ApprovalDecisionResult } },
  },
  ...problemResponses(400, 401, 403, 404, 409, 422),
};

export const approvalPaths: ZodOpenApiPathsObject = {
  '/api/v1/approvals': {
    get: {
      operationId: 'listMyApprovals',
      summary: "The caller's approvals queue (every tenant they belong to; every tenant for platform admins)",
      requestParams: { query: ApprovalQueueQuery },
      responses: {
        200: { description: 'Requests, newest first.', content: { 'application/json': { schema: ApprovalQueue } } },
        ...problemResponses(400, 401),
      },
    },
  },
};

export const tenantApprovalPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/approvals': {
    get: {
      operationId: 'listTenantApprovals',
      summary: "A tenant's approval requests",
      requestParams: { path: TenantPath, query: ApprovalQueueQuery.omit({ tenant: true }) },
      responses: {
        200: { description: 'Requests, newest first.', content: { 'application/json': { schema: ApprovalQueue } } },
        ...problemResponses(400, 401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/approvals/{requestId}/approve': {
    post: {
      operationId: 'approveRequest',
      summary: 'Approve a request (as the policy allows: not its requester, once per person)',
      description:
        'The API checks the policy, signs a short-lived approval assertion and sends it to the waiting workflow as a validated Temporal Update; refusals are audited.',
      requestParams: { path: ApprovalRequestPath },
      requestBody: { content: { 'application/json': { schema: ApproveRequestBody } } },
      responses: decisionResponses,
    },
  },
  '/api/v1/tenants/{slug}/approvals/{requestId}/reject': {
    post: {
      operationId: 'rejectRequest',
      summary: 'Reject a request, saying why',
      requestParams: { path: ApprovalRequestPath },
      requestBody: { content: { 'application/json': { schema: RejectRequestBody } } },
      responses: decisionResponses,
    },
  },
};

export const approvalRoutes: RouteModule = {
  mounts: [
    { path: '/approvals', router: approvalQueueRouter },
    { path: '/tenants/:slug/approvals', router: tenantApprovalsRouter },
  ],
  paths: { ...approvalPaths, ...tenantApprovalPaths },
};
