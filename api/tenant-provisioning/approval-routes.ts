// /api/v1/tenants/:slug/approval: a platform admin approves or rejects a tenant whose plan
// waits for approval. The decision is a Temporal Update on its provisionTenant workflow;
// the workflow's validator is the last word (only platform admins, a reason to reject, one
// decision), so of two admins deciding at once exactly one wins and the other gets a 409.
import { Router } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { TenantApproval, TenantApprovalRequest } from '../../contracts/tenant-approval.ts';
import { findApprovalRequestByWorkflow } from '../../db/repositories/approvals.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import {
  decideApprovalUpdate,
  PROVISION_TENANT_APPROVAL_PRIMITIVE_PATCH,
  provisionTenantWorkflowId,
} from '../../workflows/tenant-provisioning/contract.ts';
import { decideApprovalRequest } from '../approvals/decide.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function tenantApprovalRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.post('/', requireTenantPermission(deps, 'tenant.lifecycle'), async (req, res) => {
    const body = parseBody(TenantApprovalRequest, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    const tenant = await withTenantScope(deps.dataSource, access.tenantId, (db) => findTenantById(db, access.tenantId));
    if (tenant?.approvalStatus === 'approved' || tenant?.approvalStatus === 'rejected')
      throw new ProblemError('conflict', `"${access.slug}" was ${tenant.approvalStatus} already.`);
    if (tenant?.status !== 'pending')
      throw new ProblemError('conflict', `"${access.slug}" is ${tenant?.status}: there is nothing to approve.`);
    const workflowId = provisionTenantWorkflowId(access.slug);
    // Tenants started since the approval primitive have a stored request: decide through it
    // (policy, signed assertion, audited refusals). Older workflows take decideApproval.
    const storedRequest = () =>
      withTenantScope(deps.dataSource, access.tenantId, (db) => findApprovalRequestByWorkflow(db, workflowId));
    let request = await storedRequest();
    if (!request && !(await takesDecideApproval(deps, workflowId))) {
      // A workflow on the primitive that is still storing its request (its approval step has
      // just begun): wait a moment for the request rather than refuse.
      for (let i = 0; i < 50 && !request; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        request = await storedRequest();
      }
      if (!request)
        throw new ProblemError('conflict', `"${access.slug}" is not waiting for a decision yet; try again shortly.`);
    }
    if (request) {
      const decided = await decideApprovalRequest(deps, req, res, request, body.decision, body.reason ?? null);
      deps.logger.info('Tenant approval decided', { workflowId, status: decided.status });
      const self = `/api/v1/operations/${encodeURIComponent(workflowId)}`;
      res.json({
        status: decided.status,
        decidedBy: auth.userId,
        operation: { id: workflowId, links: { self, events: `${self}/events` } },
      } satisfies TenantApproval);
      return;
    }
    let outcome;
    try {
      outcome = await deps.temporal.client.workflow.getHandle(workflowId).executeUpdate(decideApprovalUpdate, {
        args: [
          {
            approve: body.decision === 'approve',
            ...(body.reason ? { reason: body.reason } : {}),
            decidedBy: {
              userId: auth.userId,
              platformAdmin: auth.platformAdmin && !auth.apiKey,
              requestId: String(res.locals.requestId),
              ip: req.ip ?? null,
            },
          },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError)
        throw new ProblemError('conflict', `The decision was refused: ${error.cause?.message ?? error.message}`);
      if (error instanceof WorkflowNotFoundError)
        throw new ProblemError(
          'conflict',
          `"${access.slug}" is not waiting for approval (its provisioning has ended).`,
        );
      throw error;
    }
    deps.logger.info('Tenant approval decided', { workflowId, status: outcome.status });
    const self = `/api/v1/operations/${encodeURIComponent(workflowId)}`;
    res.json({
      ...outcome,
      operation: { id: workflowId, links: { self, events: `${self}/events` } },
    } satisfies TenantApproval);
  });

  return router;
}

/**
 * Whether the workflow waits on the pre-primitive decideApproval Update: its history has no
 * `provision-tenant-approval-primitive` marker (workflows started before the patch).
 */
async function takesDecideApproval(deps: ApiDeps, workflowId: string): Promise<boolean> {
  try {
    const history = await deps.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    // Patch markers carry {"id": <patch>} in their `patch-data` payloads.
    const marked = (history.events ?? []).some((event) =>
      (event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []).some((payload) =>
        Buffer.from(payload.data ?? new Uint8Array())
          .toString('utf8')
          .includes(PROVISION_TENANT_APPROVAL_PRIMITIVE_PATCH),
      ),
    );
    return !marked;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return true;
    throw error;
  }
}

export const tenantApprovalPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/approval': {
    post: {
      operationId: 'decideTenantApproval',
      summary: 'Approve or reject a tenant waiting for approval (platform admins)',
      description:
        "Sent to the tenant's provisioning workflow as a validated Temporal Update; answers once the decision is recorded. Approving lets provisioning continue; rejecting (with a reason) ends it with the tenant failed.",
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: TenantApprovalRequest } } },
      responses: {
        200: { description: 'Decided.', content: { 'application/json': { schema: TenantApproval } } },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const tenantApprovalRoutes: RouteModule = routeModule(
  '/tenants/:slug/approval',
  tenantApprovalRouter,
  tenantApprovalPaths,
);
