// /api/v1/tenants/:slug/members: who belongs to a tenant, and with which role.
// A tenant always keeps at least one owner, and only owners change owners.
import { Router } from 'express';
import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { Role } from '../../db/repositories/memberships.ts';
import {
  findMembership,
  listMembers,
  lockOwners,
  removeMembership,
  ROLES,
  setMemberRole,
} from '../../db/repositories/memberships.ts';
import { withTenantScope } from '../../db/scope.ts';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../auth/permissions.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { problemResponses } from './schemas.ts';

const MemberSchema = z
  .object({ userId: z.uuid(), email: z.string(), displayName: z.string(), role: z.enum(ROLES), joinedAt: z.string() })
  .meta({ id: 'Member' });

const MembershipSchema = z
  .object({
    role: z.enum(ROLES).meta({ description: "The caller's role; platform admins who are not members act as admin." }),
    permissions: z.array(z.enum(PERMISSIONS)),
  })
  .meta({ id: 'Membership' });

const MemberParams = z.object({ slug: z.string(), userId: z.uuid('Must be a user id (UUID).') });
const ChangeRoleBody = z.strictObject({ role: z.enum(ROLES) }).meta({ id: 'ChangeMemberRoleRequest' });

export function membersRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'members.read'), async (_req, res) => {
    const { tenantId } = tenantAccessOf(res);
    const members = await withTenantScope(deps.dataSource, tenantId, (db) => listMembers(db, tenantId));
    res.json({
      items: members.map((m) => ({
        userId: m.user_id,
        email: m.email,
        displayName: m.display_name,
        role: m.role,
        joinedAt: m.created_at.toISOString(),
      })),
    });
  });

  // The caller's own role and what it allows (the portal shows or hides actions with it).
  // Registered before /:userId; "me" is not a UUID, so it never names a member.
  router.get('/me', requireTenantPermission(deps, 'tenant.read'), (_req, res) => {
    const { role } = tenantAccessOf(res);
    res.json({ role, permissions: [...ROLE_PERMISSIONS[role]] } satisfies z.infer<typeof MembershipSchema>);
  });

  router.patch('/:userId', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const { userId } = parseParams(MemberParams, req);
    const { role } = parseBody(ChangeRoleBody, req);
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
    });
    res.status(204).end();
  });

  router.delete('/:userId', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const { userId } = parseParams(MemberParams, req);
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

const pathParams = z.object({ slug: z.string(), userId: z.uuid() });

export const membersPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/members': {
    get: {
      operationId: 'listMembers',
      summary: "List the tenant's members and their roles",
      security: [{ bearer: [] }],
      requestParams: { path: z.object({ slug: z.string() }) },
      responses: {
        200: {
          description: 'The members.',
          content: { 'application/json': { schema: z.object({ items: z.array(MemberSchema) }) } },
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
      requestParams: { path: z.object({ slug: z.string() }) },
      responses: {
        200: { description: 'The caller’s membership.', content: { 'application/json': { schema: MembershipSchema } } },
        ...problemResponses(401, 404),
      },
    },
  },
  '/api/v1/tenants/{slug}/members/{userId}': {
    patch: {
      operationId: 'changeMemberRole',
      summary: "Change a member's role",
      security: [{ bearer: [] }],
      requestParams: { path: pathParams },
      requestBody: { content: { 'application/json': { schema: ChangeRoleBody } } },
      responses: { 204: { description: 'Changed.' }, ...problemResponses(401, 403, 404, 409, 422) },
    },
    delete: {
      operationId: 'removeMember',
      summary: 'Remove a member from the tenant',
      security: [{ bearer: [] }],
      requestParams: { path: pathParams },
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404, 409) },
    },
  },
};
