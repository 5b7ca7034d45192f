// Delegation while someone is away:
//   GET    /api/v1/tenants/:slug/approval-delegations                  the caller's (given and received)
//   POST   /api/v1/tenants/:slug/approval-delegations                  name a delegate (a member) for a period
//   DELETE /api/v1/tenants/:slug/approval-delegations/:delegationId    end one early (its giver)
// While a delegation is in force, api/approvals/decide.ts lets the delegate decide where the
// absent person would be an approver (never on a request either of them made; one decision
// per person, in person or through a delegate), and the decision is recorded "on behalf of".
// Any member may delegate their own approvals; people do, API keys do not.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type {
  ApprovalDelegation as ApprovalDelegationView,
  ApprovalDelegationList as ApprovalDelegationListView,
} from '../../contracts/approval-policies.ts';
import {
  ApprovalDelegation,
  ApprovalDelegationList,
  ApprovalDelegationPath,
  CreateApprovalDelegationBody,
} from '../../contracts/approval-policies.ts';
import { TenantPath } from '../../contracts/common.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withTenantScope } from '../../db/scope.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';

interface RawDelegation {
  id: string;
  user_id: string;
  user_email: string;
  delegate_id: string;
  delegate_email: string;
  starts_at: Date;
  ends_at: Date;
  revoked_at: Date | null;
}

const SELECT = `
  SELECT d.id, d.user_id, u.email AS user_email, d.delegate_id, v.email AS delegate_email,
         d.starts_at, d.ends_at, d.revoked_at
    FROM approval_delegations d JOIN users u ON u.id = d.user_id JOIN users v ON v.id = d.delegate_id`;

function toView(raw: RawDelegation, now = Date.now()): ApprovalDelegationView {
  return {
    id: raw.id,
    user: { id: raw.user_id, email: raw.user_email },
    delegate: { id: raw.delegate_id, email: raw.delegate_email },
    startsAt: raw.starts_at.toISOString(),
    endsAt: raw.ends_at.toISOString(),
    revokedAt: raw.revoked_at?.toISOString() ?? null,
    active: raw.revoked_at === null && raw.starts_at.getTime() <= now && raw.ends_at.getTime() > now,
  };
}

function refuseApiKeys(res: Response): string {
  const auth = authOf(res);
  if (auth.apiKey) throw new ProblemError('forbidden', 'Delegations are given by people, not API keys.');
  return auth.userId;
}

async function findDelegation(db: EntityManager, tenantId: string, id: string): Promise<RawDelegation | null> {
  const rows = await db.query<RawDelegation[]>(`${SELECT} WHERE d.tenant_id = $1 AND d.id = $2`, [tenantId, id]);
  return rows[0] ?? null;
}

const audited = (raw: RawDelegation) => ({
  delegateId: raw.delegate_id,
  startsAt: raw.starts_at.toISOString(),
  endsAt: raw.ends_at.toISOString(),
});

export function approvalDelegationsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'tenant.read'), async (_req, res) => {
    const userId = refuseApiKeys(res);
    const { tenantId } = tenantAccessOf(res);
    const rows = await withTenantScope(deps.dataSource, tenantId, (db) =>
      db.query<RawDelegation[]>(
        `${SELECT} WHERE d.tenant_id = $1 AND (d.user_id = $2 OR d.delegate_id = $2) ORDER BY d.starts_at DESC, d.id`,
        [tenantId, userId],
      ),
    );
    const now = Date.now();
    res.json({
      given: rows.filter((row) => row.user_id === userId).map((row) => toView(row, now)),
      received: rows.filter((row) => row.delegate_id === userId).map((row) => toView(row, now)),
    } satisfies ApprovalDelegationListView);
  });

  router.post('/', requireTenantPermission(deps, 'tenant.read'), async (req: Request, res: Response) => {
    const userId = refuseApiKeys(res);
    const body = parseBody(CreateApprovalDelegationBody, req);
    const { tenantId, slug } = tenantAccessOf(res);
    if (Date.parse(body.endsAt) <= Date.now())
      throw new ProblemError('validation', 'The period is over already.', {
        errors: [{ path: 'endsAt', message: 'End in the future.' }],
      });
    if (body.delegateId === userId)
      throw new ProblemError('validation', 'You cannot stand in for yourself.', {
        errors: [{ path: 'delegateId', message: 'Choose someone else.' }],
      });
    const created = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const member = await db.query<unknown[]>(`SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [
        tenantId,
        body.delegateId,
      ]);
      if (member.length === 0)
        throw new ProblemError('validation', `${body.delegateId} is not a member of "${slug}".`, {
          errors: [{ path: 'delegateId', message: 'Only a member of the tenant may stand in for you.' }],
        });
      const id = randomUUID();
      await db.query(
        `INSERT INTO approval_delegations (id, tenant_id, user_id, delegate_id, starts_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, tenantId, userId, body.delegateId, body.startsAt, body.endsAt],
      );
      const row = (await findDelegation(db, tenantId, id))!;
      await appendAuditEntry(db, {
        tenantId,
        actor: actorOf(req, res),
        action: 'approval_delegation.created',
        targetType: 'approval_delegation',
        targetId: id,
        after: audited(row),
      });
      return row;
    });
    deps.logger.info('Approval delegation created', { delegationId: created.id });
    res
      .status(201)
      .location(`/api/v1/tenants/${slug}/approval-delegations/${created.id}`)
      .json(toView(created) satisfies ApprovalDelegationView);
  });

  router.delete('/:delegationId', requireTenantPermission(deps, 'tenant.read'), async (req, res) => {
    const userId = refuseApiKeys(res);
    const { delegationId } = parseParams(ApprovalDelegationPath, req);
    const { tenantId } = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const row = await findDelegation(db, tenantId, delegationId);
      // Someone else's delegation is as absent as a missing one.
      if (!row || row.user_id !== userId) throw new ProblemError('notFound', `No delegation ${delegationId} of yours.`);
      if (row.revoked_at) return;
      await db.query(`UPDATE approval_delegations SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [
        delegationId,
      ]);
      await appendAuditEntry(db, {
        tenantId,
        actor: actorOf(req, res),
        action: 'approval_delegation.revoked',
        targetType: 'approval_delegation',
        targetId: delegationId,
        before: audited(row),
      });
    });
    res.status(204).end();
  });
  return router;
}

export const approvalDelegationPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/approval-delegations': {
    get: {
      operationId: 'listApprovalDelegations',
      summary: "The caller's delegations in a tenant: those they gave and those naming them",
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'Newest first.',
          content: { 'application/json': { schema: ApprovalDelegationList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createApprovalDelegation',
      summary: 'Name a member who decides in your place while you are away (a period of at most 90 days)',
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: CreateApprovalDelegationBody } } },
      responses: {
        201: { description: 'Created.', content: { 'application/json': { schema: ApprovalDelegation } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/approval-delegations/{delegationId}': {
    delete: {
      operationId: 'revokeApprovalDelegation',
      summary: 'End one of your delegations now',
      requestParams: { path: ApprovalDelegationPath },
      responses: { 204: { description: 'Ended.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
};

export const approvalDelegationRoutes: RouteModule = {
  mounts: [{ path: '/tenants/:slug/approval-delegations', router: approvalDelegationsRouter }],
  paths: approvalDelegationPaths,
};
