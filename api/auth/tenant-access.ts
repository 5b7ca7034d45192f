// Access to /api/v1/tenants/:slug/… routes. The caller must be signed in and a member of
// the tenant (or a platform admin). Outsiders get 404, exactly as for a tenant that does
// not exist, so the API does not reveal which tenants exist. Members whose role lacks
// the permission get 403. An API key counts as a member of its own tenant with its role.
import type { Request, RequestHandler, Response } from 'express';
import type { EntityManager } from 'typeorm';
import { TenantPath } from '../../contracts/common.ts';
import type { Permission, Role } from '../../contracts/members.ts';
import type { ApiKeyCredentials } from '../../db/repositories/api-keys.ts';
import type { AccessCaller, TenantAccessAnswer, TenantAccessFacts } from '../../db/repositories/tenant-access.ts';
import { findTenantAccess, inTenantAccessTransaction } from '../../db/repositories/tenant-access.ts';
import { addLogContext } from '../../logging/context.ts';
import { planIncludes } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';
import { parseParams } from '../http/validate.ts';
import { roleAllows } from './permissions.ts';
import { recordApiKeyUse } from './api-keys.ts';
import type { AuthContext } from './require-auth.ts';
import { acceptDeferredApiKey, authOf, deferredApiKeyOf, settleDeferredApiKey } from './require-auth.ts';

export interface TenantAccess {
  tenantId: string;
  slug: string;
  /** The caller's role; platform admins who are not members act as 'admin'. */
  role: Role;
  /** The tenant as read for this check (routes that show it need not read it again). */
  tenant: TenantAccessFacts['tenant'];
}

export function requireTenantPermission(deps: ApiDeps, permission: Permission): RequestHandler {
  return async (req, res, next) => {
    const slug = await slugOf(deps, req, res);
    // One statement reads the tenant, the caller's membership, SSO and suspension (issue 12),
    // and a presented API key's credentials: nothing is cached, so a changed role, a revoked key
    // or a suspension counts on the very next request.
    const answer = await findTenantAccess(deps.dataSource, slug, callerOf(res));
    const auth = await settleCaller(deps, res, answer);
    const access = decideTenantAccess(answer.facts, auth, slug, permission);
    await countRequest(deps, auth, access, res);
    grantAccess(res, access);
    next();
  };
}

/** What a read-only tenant route reads in its scoped transaction: the response's JSON body. */
export type TenantRead<Body> = (req: Request, scope: { access: TenantAccess; db: EntityManager }) => Promise<Body>;

/**
 * A read-only tenant route in one transaction: the access check's statement also scopes the
 * transaction to the tenant (and looks a presented API key up), so the read costs less than its
 * own SQL in a scoped transaction (BEGIN with the check, read, COMMIT: three messages to
 * PostgreSQL; issue 12). The body goes out after the transaction ends. The transaction stays
 * open while `read` runs: only for handlers that read the database and do nothing slow besides.
 */
export function readInTenantScope<Body>(deps: ApiDeps, permission: Permission, read: TenantRead<Body>): RequestHandler {
  return async (req, res) => {
    const slug = await slugOf(deps, req, res);
    let keyCredentials: ApiKeyCredentials | null = null;
    const outcome = await inTenantAccessTransaction(
      deps.dataSource,
      slug,
      callerOf(res),
      async (answer, db): Promise<{ body: Body } | { problem: ProblemError }> => {
        keyCredentials = answer.apiKey;
        // A refusal throws here, rolling the transaction back before anything is read.
        const auth = acceptCaller(res, answer);
        const access = decideTenantAccess(answer.facts, auth, slug, permission);
        // Counted once access is granted; a lease runs on this transaction's connection.
        await countRequest(deps, auth, access, res, db);
        grantAccess(res, access);
        try {
          return { body: await read(req, { access, db }) };
        } catch (error) {
          // A read that answers with a problem (a 404 for an unknown item, a bad query) has
          // written nothing: the transaction commits all the same, so that a rate-limit lease
          // taken in it stays recorded. Rolled back, the requests this process admits from the
          // lease would be counted nowhere, and the tenant could pass its limit.
          if (error instanceof ProblemError) return { problem: error };
          throw error;
        }
      },
    ).finally(() => recordKeyUse(deps, res, keyCredentials));
    if ('problem' in outcome) throw outcome.problem;
    res.json(outcome.body);
  };
}

/**
 * The slug of the route. A malformed one is refused, but an API key presented with it is looked
 * up first, so that a bad key is a 401 on every route, as a bad access token is.
 */
async function slugOf(deps: ApiDeps, req: Request, res: Response): Promise<string> {
  try {
    return parseParams(TenantPath, req).slug;
  } catch (error) {
    await settleDeferredApiKey(res, deps.dataSource);
    throw error;
  }
}

/** Who the access check asks for: the user, or the API key still to be looked up. */
function callerOf(res: Response): AccessCaller {
  const deferred = deferredApiKeyOf(res);
  if (deferred) return { apiKeyPrefix: deferred.prefix };
  const auth = authOf(res);
  return { userId: auth.apiKey ? null : auth.userId };
}

/** The caller's identity, a deferred API key settled with the credentials the check read (or a 401). */
function acceptCaller(res: Response, answer: TenantAccessAnswer): AuthContext {
  return deferredApiKeyOf(res) ? acceptDeferredApiKey(res, answer.apiKey) : authOf(res);
}

/** acceptCaller, then the key's use recorded (outside any transaction; at most once a minute). */
async function settleCaller(deps: ApiDeps, res: Response, answer: TenantAccessAnswer): Promise<AuthContext> {
  const auth = acceptCaller(res, answer);
  await recordKeyUse(deps, res, answer.apiKey);
  return auth;
}

async function recordKeyUse(deps: ApiDeps, res: Response, stored: ApiKeyCredentials | null): Promise<void> {
  const auth = res.locals.auth as AuthContext | undefined;
  // Only a key this request was accepted as: an unknown or refused key records nothing.
  if (stored && auth?.apiKey?.id === stored.id) await recordApiKeyUse(deps.dataSource, stored);
}

/**
 * Counts the request against the tenant's plan rate limit (api/http/tenant-rate-limit.ts), or
 * throws the 429; an admitted one is metered (`api.requests`). Only once access is granted, so outsiders cannot spend a tenant's budget;
 * platform admins are not counted (they repair tenants, also busy ones).
 */
async function countRequest(
  deps: ApiDeps,
  auth: AuthContext,
  access: TenantAccess,
  res: Response,
  db?: EntityManager,
): Promise<void> {
  if (auth.platformAdmin && !auth.apiKey) return;
  await deps.tenantRateLimiter.admit({ id: access.tenantId, slug: access.slug, plan: access.tenant.plan }, res, db);
  deps.requestMeter.count(access.tenantId);
}

function grantAccess(res: Response, access: TenantAccess): void {
  res.locals.tenantAccess = access;
  addLogContext({ tenantId: access.tenantId });
}

/** The caller's access to the tenant, or the problem that refuses it. */
function decideTenantAccess(
  facts: TenantAccessFacts | null,
  auth: AuthContext,
  slug: string,
  permission: Permission,
): TenantAccess {
  // Built only when thrown: an Error captures its stack, which every granted request would pay.
  const notFound = () => new ProblemError('notFound', `No tenant "${slug}".`);
  if (!facts) throw notFound();
  const { tenant } = facts;
  let role: Role | null;
  if (auth.apiKey) {
    // An API key acts in its own tenant only, with the role it was given.
    role = auth.apiKey.tenantId === tenant.id ? auth.apiKey.role : null;
  } else {
    role = facts.memberRole ?? (auth.platformAdmin ? 'admin' : null);
    // "SSO required": members work in the tenant only with a session its provider started.
    // Platform admins are exempt (they repair tenants), and so are API keys (machines). It
    // lapses while the plan lacks the `sso` feature: nobody can sign in through the provider then.
    if (
      facts.memberRole &&
      !auth.platformAdmin &&
      facts.ssoRequired &&
      auth.ssoTenantId !== tenant.id &&
      planIncludes(tenant.plan, 'sso')
    )
      throw new ProblemError(
        'ssoRequired',
        `"${slug}" requires its single sign-on; sign in through it (POST /api/v1/auth/sso/start with tenant "${slug}").`,
      );
  }
  if (!role) throw notFound();
  // Platform admins act in any tenant with every permission (they repair and suspend).
  const platformAdmin = auth.platformAdmin && !auth.apiKey;
  if (tenant.status === 'suspended' && !platformAdmin) {
    throw new ProblemError(
      'tenantSuspended',
      `"${slug}" is suspended${facts.suspensionReason ? `: ${facts.suspensionReason}` : ''}. Contact Atrium support to reactivate it.`,
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
  return { tenantId: tenant.id, slug, role, tenant };
}

export function tenantAccessOf(res: Response): TenantAccess {
  return res.locals.tenantAccess as TenantAccess;
}
