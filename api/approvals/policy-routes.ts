// Approval policies as tenant data, and the named groups they ask for:
//   GET    /api/v1/tenants/:slug/approval-policies                          stored policies + the platform default
//   GET    /api/v1/tenants/:slug/approval-policies/:environment             the policy that applies there (and whence)
//   PUT    /api/v1/tenants/:slug/approval-policies/:environment             store one (validated, audited)
//   DELETE /api/v1/tenants/:slug/approval-policies/:environment             remove one (the default applies again)
//   POST   /api/v1/tenants/:slug/approval-policies/:environment/simulate    a proposed policy against the requests made
//   GET    /api/v1/tenants/:slug/approval-groups                            groups and their members
//   PUT    /api/v1/tenants/:slug/approval-groups/:group/members/:userId     add a member of the tenant
//   DELETE /api/v1/tenants/:slug/approval-groups/:group/members/:userId     remove them
// `_default` in the URL is the tenant's default policy (stored as environment ''). Every
// member reads (a requester sees which policy will apply); `approvals.manage` (owners,
// admins) changes and simulates. A policy change applies to requests opened after it: each
// request keeps the copy of the policy it was opened with.
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type {
  ApprovalGroupMembership as ApprovalGroupMembershipView,
  ApprovalGroupList as ApprovalGroupListView,
  ApprovalPolicyList as ApprovalPolicyListView,
  ApprovalSimulation as ApprovalSimulationView,
  EffectiveApprovalPolicy as EffectiveApprovalPolicyView,
  SimulatedVerdict,
  StoredApprovalPolicy as StoredApprovalPolicyView,
} from '../../contracts/approval-policies.ts';
import {
  ApprovalGroupList,
  ApprovalGroupMemberPath,
  ApprovalGroupMembership,
  ApprovalPolicyList,
  ApprovalPolicyPath,
  ApprovalSimulation,
  EffectiveApprovalPolicy,
  PutApprovalPolicyBody,
  SimulateApprovalPolicyBody,
  StoredApprovalPolicy,
} from '../../contracts/approval-policies.ts';
import { TenantPath } from '../../contracts/common.ts';
import type { ApprovalPolicyRow } from '../../db/repositories/approval-policies.ts';
import {
  addApprovalGroupMember,
  deleteApprovalPolicy,
  effectiveApprovalPolicy,
  findApprovalPolicy,
  listApprovalGroups,
  listApprovalPolicies,
  listRequestsForSimulation,
  removeApprovalGroupMember,
  upsertApprovalPolicy,
} from '../../db/repositories/approval-policies.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { Approver, ApproverRole } from '../../workflows/approvals/policy.ts';
import { PLATFORM_DEFAULT_POLICY } from '../../workflows/approvals/policy.ts';
import type { SimulationVerdict } from '../../workflows/approvals/simulation.ts';
import { SIMULATED_OUTCOMES, simulateRequest } from '../../workflows/approvals/simulation.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';

/** How far back a simulation reads (requests still pending are read whatever their age). */
export const SIMULATION_WINDOW_MS = 30 * 86_400_000;

const label = (environment: string) => (environment === '' ? 'the tenant default' : `"${environment}"`);

function storedView(row: ApprovalPolicyRow): StoredApprovalPolicyView {
  return {
    environment: row.environment,
    policy: row.policy,
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Everyone a simulation judges, as approvers of the tenant (role, groups, platform admin flag). */
async function approversOf(db: EntityManager, tenantId: string, userIds: string[]): Promise<Map<string, Approver>> {
  const rows = await db.query<
    Array<{ id: string; email: string; is_platform_admin: boolean; role: ApproverRole | null; groups: string[] }>
  >(
    `SELECT u.id, u.email, u.is_platform_admin, m.role,
            COALESCE((SELECT array_agg(g.group_name ORDER BY g.group_name) FROM approval_group_members g
                       WHERE g.tenant_id = $1 AND g.user_id = u.id), '{}') AS groups
       FROM users u LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $1
      WHERE u.id = ANY($2::uuid[])`,
    [tenantId, userIds],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      { userId: row.id, platformAdmin: row.is_platform_admin, tenantRole: row.role, groups: row.groups },
    ]),
  );
}

async function emailsOf(db: EntityManager, userIds: string[]): Promise<Map<string, string>> {
  const rows = await db.query<Array<{ id: string; email: string }>>(
    `SELECT id, email FROM users WHERE id = ANY($1::uuid[])`,
    [userIds],
  );
  return new Map(rows.map((row) => [row.id, row.email]));
}

export function approvalPoliciesRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (_req, { access, db }) => {
      const rows = await listApprovalPolicies(db, access.tenantId);
      return {
        policies: rows.map(storedView),
        platformDefault: PLATFORM_DEFAULT_POLICY,
      } satisfies ApprovalPolicyListView;
    }),
  );

  router.get(
    '/:environment',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }) => {
      const { environment } = parseParams(ApprovalPolicyPath, req);
      const effective = await effectiveApprovalPolicy(db, access.tenantId, environment);
      return {
        environment,
        source: effective.source,
        policy: effective.policy,
        updatedBy: effective.row?.updatedBy ?? null,
        updatedAt: effective.row?.updatedAt.toISOString() ?? null,
      } satisfies EffectiveApprovalPolicyView;
    }),
  );

  router.put('/:environment', requireTenantPermission(deps, 'approvals.manage'), async (req, res) => {
    const { environment } = parseParams(ApprovalPolicyPath, req);
    const { policy } = parseBody(PutApprovalPolicyBody, req);
    const access = tenantAccessOf(res);
    const { row, created } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const before = await findApprovalPolicy(db, access.tenantId, environment, { lock: true });
      await upsertApprovalPolicy(db, {
        tenantId: access.tenantId,
        environment,
        policy,
        updatedBy: authOf(res).apiKey ? null : authOf(res).userId,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: before ? 'approval_policy.updated' : 'approval_policy.created',
        targetType: 'approval_policy',
        targetId: environment,
        ...(before ? { before: { policy: before.policy } } : {}),
        after: { policy },
      });
      return { row: (await findApprovalPolicy(db, access.tenantId, environment))!, created: !before };
    });
    deps.logger.info('Approval policy stored', { environment, rules: policy.rules.length });
    res.status(created ? 201 : 200).json(storedView(row) satisfies StoredApprovalPolicyView);
  });

  router.delete('/:environment', requireTenantPermission(deps, 'approvals.manage'), async (req, res) => {
    const { environment } = parseParams(ApprovalPolicyPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const before = await findApprovalPolicy(db, access.tenantId, environment, { lock: true });
      if (!before || !(await deleteApprovalPolicy(db, access.tenantId, environment)))
        throw new ProblemError('notFound', `No approval policy for ${label(environment)}.`);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'approval_policy.deleted',
        targetType: 'approval_policy',
        targetId: environment,
        before: { policy: before.policy },
      });
    });
    deps.logger.info('Approval policy removed', { environment });
    res.status(204).end();
  });

  router.post('/:environment/simulate', requireTenantPermission(deps, 'approvals.manage'), async (req, res) => {
    const { environment } = parseParams(ApprovalPolicyPath, req);
    const { policy: proposed } = parseBody(SimulateApprovalPolicyBody, req);
    const access = tenantAccessOf(res);
    const now = Date.now();
    const since = new Date(now - SIMULATION_WINDOW_MS);
    const simulation = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await effectiveApprovalPolicy(db, access.tenantId, environment);
      const requests = await listRequestsForSimulation(db, access.tenantId, environment, since);
      const people = new Set<string>();
      for (const request of requests)
        for (const decision of request.decisions) {
          people.add(decision.userId);
          if (decision.onBehalfOf) people.add(decision.onBehalfOf);
        }
      const approvers = await approversOf(db, access.tenantId, [...people]);
      const emails = await emailsOf(db, [...people]);
      const approverOf = (userId: string): Approver =>
        approvers.get(userId) ?? { userId, platformAdmin: false, tenantRole: null, groups: [] };
      const view = (verdict: SimulationVerdict): SimulatedVerdict => ({
        ...verdict,
        notCounted: verdict.notCounted.map((userId) => emails.get(userId) ?? userId),
      });
      const counts = () =>
        Object.fromEntries(SIMULATED_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
          (typeof SIMULATED_OUTCOMES)[number],
          number
        >;
      const summary = { current: counts(), proposed: counts(), changed: 0 };
      const rows = requests.map((request) => {
        const stored = {
          requesterId: request.requesterId,
          attributes: request.attributes,
          createdAt: request.createdAt.getTime(),
          decisions: request.decisions.map((d) => ({ ...d, at: new Date(d.at).getTime() })),
          inFlight: request.status === 'pending',
        };
        const before = simulateRequest(current.policy, stored, approverOf, now);
        const after = simulateRequest(proposed, stored, approverOf, now);
        const changed = before.outcome !== after.outcome;
        summary.current[before.outcome] += 1;
        summary.proposed[after.outcome] += 1;
        if (changed) summary.changed += 1;
        return {
          id: request.id,
          subject: request.subject,
          requester: request.requesterEmail,
          createdAt: request.createdAt.toISOString(),
          status: request.status,
          current: view(before),
          proposed: view(after),
          changed,
        };
      });
      return {
        environment,
        currentSource: current.source,
        since: since.toISOString(),
        requests: rows,
        summary,
      } satisfies ApprovalSimulationView;
    });
    res.json(simulation);
  });
  return router;
}

export function approvalGroupsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(
      deps,
      'tenant.read',
      async (_req, { access, db }) =>
        ({ groups: await listApprovalGroups(db, access.tenantId) }) satisfies ApprovalGroupListView,
    ),
  );

  router.put('/:group/members/:userId', requireTenantPermission(deps, 'approvals.manage'), async (req, res) => {
    const { group, userId } = parseParams(ApprovalGroupMemberPath, req);
    const access = tenantAccessOf(res);
    const added = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const member = await db.query<unknown[]>(`SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [
        access.tenantId,
        userId,
      ]);
      if (member.length === 0)
        throw new ProblemError('validation', `${userId} is not a member of "${access.slug}".`, {
          errors: [{ path: 'userId', message: 'Only members of the tenant join its approval groups.' }],
        });
      const inserted = await addApprovalGroupMember(db, access.tenantId, group, userId);
      if (inserted)
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'approval_group.member_added',
          targetType: 'approval_group',
          targetId: group,
          after: { userId },
        });
      return inserted;
    });
    res.status(added ? 201 : 200).json({ group, userId } satisfies ApprovalGroupMembershipView);
  });

  router.delete('/:group/members/:userId', requireTenantPermission(deps, 'approvals.manage'), async (req, res) => {
    const { group, userId } = parseParams(ApprovalGroupMemberPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      if (!(await removeApprovalGroupMember(db, access.tenantId, group, userId)))
        throw new ProblemError('notFound', `${userId} is not in the approval group "${group}".`);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'approval_group.member_removed',
        targetType: 'approval_group',
        targetId: group,
        before: { userId },
      });
    });
    res.status(204).end();
  });
  return router;
}

const policyPath = { path: ApprovalPolicyPath };

export const approvalPolicyPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/approval-policies': {
    get: {
      operationId: 'listApprovalPolicies',
      summary: "A tenant's stored approval policies (per environment; '' is its default) and Atrium's default",
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The policies.', content: { 'application/json': { schema: ApprovalPolicyList } } },
        ...problemResponses(401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/approval-policies/{environment}': {
    get: {
      operationId: 'getApprovalPolicy',
      summary: 'The policy that applies to an environment (`_default`: the tenant default), and where it comes from',
      requestParams: policyPath,
      responses: {
        200: { description: 'The policy.', content: { 'application/json': { schema: EffectiveApprovalPolicy } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    put: {
      operationId: 'putApprovalPolicy',
      summary: "Store an environment's approval policy (requests opened from now on follow it)",
      requestParams: policyPath,
      requestBody: { content: { 'application/json': { schema: PutApprovalPolicyBody } } },
      responses: {
        200: { description: 'Replaced.', content: { 'application/json': { schema: StoredApprovalPolicy } } },
        201: { description: 'Stored.', content: { 'application/json': { schema: StoredApprovalPolicy } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
    delete: {
      operationId: 'deleteApprovalPolicy',
      summary: "Remove an environment's policy (the tenant default, else Atrium's, applies)",
      requestParams: policyPath,
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
  '/api/v1/tenants/{slug}/approval-policies/{environment}/simulate': {
    post: {
      operationId: 'simulateApprovalPolicy',
      summary: 'What a proposed policy would have done to the requests of the last 30 days and those in flight',
      description:
        'Each request is judged under the policy that applies now and under the proposed one, by replaying its stored decisions through the evaluator: allowed, blocked, needs-someone-else, or pending.',
      requestParams: policyPath,
      requestBody: { content: { 'application/json': { schema: SimulateApprovalPolicyBody } } },
      responses: {
        200: { description: 'The simulation.', content: { 'application/json': { schema: ApprovalSimulation } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
};

export const approvalGroupPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/approval-groups': {
    get: {
      operationId: 'listApprovalGroups',
      summary: "A tenant's named approval groups and their members",
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The groups.', content: { 'application/json': { schema: ApprovalGroupList } } },
        ...problemResponses(401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/approval-groups/{group}/members/{userId}': {
    put: {
      operationId: 'addApprovalGroupMember',
      summary: 'Add a member of the tenant to a named approval group (creates the group)',
      requestParams: { path: ApprovalGroupMemberPath },
      responses: {
        200: {
          description: 'In it already.',
          content: { 'application/json': { schema: ApprovalGroupMembership } },
        },
        201: { description: 'Added.', content: { 'application/json': { schema: ApprovalGroupMembership } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    delete: {
      operationId: 'removeApprovalGroupMember',
      summary: 'Remove someone from a named approval group',
      requestParams: { path: ApprovalGroupMemberPath },
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
};

export const approvalPolicyRoutes: RouteModule = {
  mounts: [
    { path: '/tenants/:slug/approval-policies', router: approvalPoliciesRouter },
    { path: '/tenants/:slug/approval-groups', router: approvalGroupsRouter },
  ],
  paths: { ...approvalPolicyPaths, ...approvalGroupPaths },
};
