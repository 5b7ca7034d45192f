// Access to /api/v1/tenants/:slug/… routes. The caller must be signed in and a member of
// the tenant (or a platform admin). Outsiders get 404, exactly as for a tenant that does
// not exist, so the API does not reveal which tenants exist. Members whose role lacks
// the permission get 403. An API key counts as a member of its own tenant with its role.
import type { RequestHandler, Response } from 'express';
import { TenantPath } from '../../contracts/common.ts';
import type { Permission, Role } from '../../contracts/members.ts';
import { findMembership } from '../../db/repositories/memberships.ts';
import { findSsoConnection } from '../../db/repositories/sso.ts';
import { findOpenSuspension } from '../../db/repositories/tenant-suspensions.ts';
import { findTenantBySlug } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import { addLogContext } from '../../logging/context.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';
import { parseParams } from '../http/validate.ts';
import { roleAllows } from './permissions.ts';
import { authOf } from './require-auth.ts';

export interface TenantAccess {
  tenantId: string;
  slug: string;
  /** The caller's role; platform admins who are not members act as 'admin'. */
  role: Role;
}

export function requireTenantPermission(deps: ApiDeps, permission: Permission): RequestHandler {
  return async (req, res, next) => {
    const { slug } = parseParams(TenantPath, req);
    const auth = authOf(res);
    const tenant = await findTenantBySlug(deps.dataSource, slug);
    const notFound = new ProblemError('notFound', `No tenant "${slug}".`);
    if (!tenant) throw notFound;
    let role: Role | null;
    if (auth.apiKey) {
      // An API key acts in its own tenant only, with the role it was given.
      role = auth.apiKey.tenantId === tenant.id ? auth.apiKey.role : null;
    } else {
      const { membership, sso } = await withTenantScope(deps.dataSource, tenant.id, async (db) => ({
        membership: await findMembership(db, tenant.id, auth.userId),
        sso: await findSsoConnection(db, tenant.id),
      }));
      role = membership?.role ?? (auth.platformAdmin ? 'admin' : null);
      // "SSO required": members work in the tenant only with a session its provider started.
      // Platform admins are exempt (they repair tenants), and so are API keys (machines).
      if (membership && !auth.platformAdmin && sso?.enabled && sso.sso_required && auth.ssoTenantId !== tenant.id)
        throw new ProblemError(
          'ssoRequired',
          `"${slug}" requires its single sign-on; sign in through it (POST /api/v1/auth/sso/start with tenant "${slug}").`,
        );
    }
    if (!role) throw notFound;
    // Platform admins act in any tenant with every permission (they repair and suspend).
    const platformAdmin = auth.platformAdmin && !auth.apiKey;
    if (tenant.status === 'suspended' && !platformAdmin) {
      const suspension = await withTenantScope(deps.dataSource, tenant.id, (db) => findOpenSuspension(db, tenant.id));
      throw new ProblemError(
        'tenantSuspended',
        `"${slug}" is suspended${suspension ? `: ${suspension.reason}` : ''}. Contact Atrium support to reactivate it.`,
      );
    }
    if ((tenant.status === 'offboarding' || tenant.status === 'offboarded') && !platformAdmin)
      throw new ProblemError(
        'tenantOffboarded',
        tenant.status === 'offboarding'
          ? `"${slug}" is being offboarded: its data will be deleted after the grace period. Contact Atrium support to cancel.`
          : `"${slug}" was offboarded: its data is deleted.`,
      );
    if (!platformAdmin && !roleAllows(role, permission)) {
      throw new ProblemError('forbidden', `Your role "${role}" in "${slug}" does not allow ${permission}.`);
    }
    res.locals.tenantAccess = { tenantId: tenant.id, slug, role } satisfies TenantAccess;
    addLogContext({ tenantId: tenant.id });
    next();
  };
}

export function tenantAccessOf(res: Response): TenantAccess {
  return res.locals.tenantAccess as TenantAccess;
}
