// /api/v1/tenants/:slug/members: who belongs to a tenant, and with which role.
// A tenant always keeps at least one owner, and only owners change owners.
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { Role } from '../../contracts/members.ts';
import { ChangeMemberRoleRequest, MemberList, MemberPath, Membership } from '../../contracts/members.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import {
  findMembership,
  listMembers,
  lockOwners,
  removeMembership,
  setMemberRole,
} from '../../db/repositories/memberships.ts';
import { withTenantScope } from '../../db/scope.ts';
import { ROLE_PERMISSIONS } from '../auth/permissions.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function membersRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'members.read', async (_req, { access, db }) => {
      const members = await listMembers(db, access.tenantId);
      return {
        items: members.map((m) => ({
          userId: m.user_id,
          email: m.email,
          displayName: m.display_name,
          role: m.role,
          joinedAt: m.created_at.toISOString(),
        })),
      } satisfies MemberList;
    }),
  );

  // The caller's own role and what it allows (the portal shows or hides actions with it).
  // Registered before /:userId; "me" is not a UUID, so it never names a member.
  router.get('/me', requireTenantPermission(deps, 'tenant.read'), (_req, res) => {
    const { role } = tenantAccessOf(res);
    res.json({ role, permissions: [...ROLE_PERMISSIONS[role]] } satisfies Membership);
  });

  router.patch('/:userId', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const { userId } = parseParams(MemberPath, req);
    const { role } = parseBody(ChangeMemberRoleRequest, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findMembership(db, access.tenantId, userId);
      if (!current) throw memberNotFound(userId);
      if (current.role === role) return;
      await guardOwners(db, access, userId, current.role, role);
      await setMemberRole(db, access.tenantId, userId, role);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'member.role_changed',
        targetType: 'user',
        targetId: userId,
        before: { role: current.role },
        after: { role },
      });
      await emitEvent(db, access.tenantId, 'member.role_changed', { userId, from: current.role, to: role });
    });
    res.status(204).end();
  });

  router.delete('/:userId', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const { userId } = parseParams(MemberPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findMembership(db, access.tenantId, userId);
      if (!current) throw memberNotFound(userId);
      await guardOwners(db, access, userId, current.role, null);
      await removeMembership(db, access.tenantId, userId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'member.removed',
        targetType: 'user',
        targetId: userId,
        before: { role: current.role },
      });
      await emitEvent(db, access.tenantId, 'member.removed', { userId, role: current.role });
    });
    res.status(204).end();
  });

  return router;
}

/**
 * Only owners grant, change or remove the owner role, and the last owner stays: a
 * tenant nobody can administer could not be recovered.
 */
async function guardOwners(
  db: EntityManager,
  access: TenantAccess,
  userId: string,
  from: Role,
  to: Role | null,
): Promise<void> {
  if ((from === 'owner' || to === 'owner') && access.role !== 'owner') {
    throw new ProblemError('forbidden', 'Only an owner can grant or take away the owner role.');
  }
  if (from === 'owner' && to !== 'owner') {
    const owners = await lockOwners(db, access.tenantId);
    if (owners.length === 1 && owners[0] === userId) {
      throw new ProblemError('conflict', 'This is the last owner of the tenant; make someone else owner first.', {
        errors: [{ path: 'userId', message: 'The last owner cannot be removed or demoted.' }],
      });
    }
  }
}

function memberNotFound(userId: string): ProblemError {
  return new ProblemError('notFound', `User ${userId} is not a member of this tenant.`);
}

export const membersPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/members': {
    get: {
      operationId: 'listMembers',
      summary: "List the tenant's members and their roles",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'The members.',
          content: { 'application/json': { schema: MemberList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/members/me': {
    get: {
      operationId: 'getMyMembership',
      summary: "The caller's role in the tenant and the permissions it grants",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The caller’s membership.', content: { 'application/json': { schema: Membership } } },
        ...problemResponses(401, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/members/{userId}': {
    patch: {
      operationId: 'changeMemberRole',
      summary: "Change a member's role",
      security: [{ bearer: [] }],
      requestParams: { path: MemberPath },
      requestBody: { content: { 'application/json': { schema: ChangeMemberRoleRequest } } },
      responses: { 204: { description: 'Changed.' }, ...problemResponses(401, 403, 404, 409, 422) },
    },
    delete: {
      operationId: 'removeMember',
      summary: 'Remove a member from the tenant',
      security: [{ bearer: [] }],
      requestParams: { path: MemberPath },
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404, 409) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const membersRoutes: RouteModule = routeModule('/tenants/:slug/members', membersRouter, membersPaths);
