// /api/v1/auth/sso: signing in through a tenant's OpenID Connect provider.
//   discover  — does this email's domain sign in through SSO, and must it?
//   start     — the provider's authorization URL (code flow, PKCE S256, state, nonce); the
//               state, nonce and verifier stay here, single use, for SSO_LOGIN_TTL
//   callback  — the provider's answer (the query string it redirected with): the code is
//               exchanged and the ID token checked, then the person is found or created
//               (just in time, with the tenant's default role) and signed in
// Only addresses in the tenant's verified domains are accepted from its provider, so a
// provider cannot sign anyone in as an address its tenant does not control. Signing in
// through it needs the plan's `sso` feature, as configuring it does (refuseSsoSignInOffPlan).
import { Router } from 'express';
import type { Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  SsoCallback,
  SsoCallbackRequest,
  SsoDiscoverRequest,
  SsoDiscovery,
  SsoStart,
  SsoStartRequest,
} from '../../contracts/sso.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { addMembershipIfAbsent, findMembership } from '../../db/repositories/memberships.ts';
import { countMembers } from '../../db/repositories/plan-usage.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { lockPlanLimit, planIncludes, planUnlocking, refuseOverPlanLimit } from '../billing/plan-limits.ts';
import { issueRefreshToken } from '../../db/repositories/refresh-tokens.ts';
import type { SsoConnectionRow } from '../../db/repositories/sso.ts';
import {
  consumeLoginAttempt,
  findSsoConnection,
  findSsoIdentity,
  findVerifiedDomain,
  isVerifiedDomainOf,
  linkSsoIdentity,
  recordLoginAttempt,
} from '../../db/repositories/sso.ts';
import { findTenantById, findTenantBySlug } from '../../db/repositories/tenants.ts';
import { createSsoUserIfAbsent, findUserByEmail, findUserById } from '../../db/repositories/users.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import type { OidcClientSettings, VerifiedIdentity } from '../../integrations/identity/port.ts';
import { IdentityError } from '../../integrations/identity/port.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { sessionBody } from './auth.ts';
import { secretStoreProblem, ssoCallbackUri } from './sso-connection.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Signing in through a tenant's provider needs the plan's `sso` feature, as configuring it does:
 * a tenant whose plan lost it (a downgrade) keeps its settings, but nobody signs in through
 * them, and its "SSO required" lapses (api/auth/tenant-access.ts, the password sign-in), until
 * the plan has it again. 403 `plan-feature-missing`, naming the plan that has the feature, not
 * the tenant's own: the caller is not signed in.
 */
export function refuseSsoSignInOffPlan(tenant: { name: string; plan: string }): void {
  if (planIncludes(tenant.plan, 'sso')) return;
  const unlockedBy = planUnlocking('sso');
  throw new ProblemError(
    'planFeatureMissing',
    `${tenant.name} cannot sign in through single sign-on: its plan does not include it${unlockedBy ? ` (the ${unlockedBy} plan does)` : ''}. Sign in with your password instead ("Forgot password" sets one if you never had one), or ask an owner of ${tenant.name} to change the plan.`,
  );
}

export function ssoLoginRouter(deps: ApiDeps): Router {
  const router = Router();
  const { dataSource } = deps;
  // Starting and finishing logins costs a provider round trip; limit each per IP like logins.
  const limiter = () =>
    rateLimit({
      windowMs: 60_000,
      limit: deps.settings.auth.loginRateLimitPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, _res, next) => {
        const { rateLimit: info } = req as Request & { rateLimit?: { resetTime?: Date } };
        const retryAfter = String(
          Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000)),
        );
        next(
          new ProblemError(
            'rateLimited',
            `Too many single sign-on attempts from this address; retry in ${retryAfter} s.`,
            {
              headers: { 'Retry-After': retryAfter },
            },
          ),
        );
      },
    });

  const actor = (req: Request, res: Response, userId: string | null): AuditActor => ({
    type: userId ? 'user' : 'anonymous',
    id: userId,
    requestId: String(res.locals.requestId),
    ip: req.ip ?? null,
  });

  async function clientSettings(connection: SsoConnectionRow): Promise<OidcClientSettings> {
    const secret = await deps.secretStore
      .read(connection.client_secret_path, { version: connection.client_secret_version })
      .catch(secretStoreProblem);
    const clientSecret = secret?.data.clientSecret;
    if (!clientSecret)
      throw new ProblemError(
        'unavailable',
        'The single sign-on client secret is missing from the secret store; an admin must save the SSO settings again.',
      );
    return { issuer: connection.issuer, clientId: connection.client_id, clientSecret };
  }

  router.post('/discover', limiter(), async (req, res) => {
    const { email } = parseBody(SsoDiscoverRequest, req);
    const route = await withPlatformScope(dataSource, async (db) => {
      const found = await findVerifiedDomain(db, domainOf(email));
      const tenant = found ? await findTenantById(db, found.tenantId) : null;
      return found && tenant ? { ...found, name: tenant.name, plan: tenant.plan } : null;
    });
    // A plan without the `sso` feature: the organization does not sign in through it now.
    const sso = route?.enabled === true && planIncludes(route.plan, 'sso');
    res.json({
      sso,
      required: sso && route.ssoRequired,
      tenant: sso ? { slug: route.slug, name: route.name } : null,
    } satisfies SsoDiscovery);
  });

  router.post('/start', limiter(), async (req, res) => {
    const body = parseBody(SsoStartRequest, req);
    const noSso = (what: string) =>
      new ProblemError('notFound', `${what} does not sign in through single sign-on; use your password.`);
    let tenantId: string;
    if (body.tenant !== undefined) {
      const tenant = await findTenantBySlug(dataSource, body.tenant);
      if (!tenant) throw noSso(`The organization "${body.tenant}"`);
      tenantId = tenant.id;
    } else {
      const route = await withPlatformScope(dataSource, (db) => findVerifiedDomain(db, domainOf(body.email!)));
      if (!route) throw noSso(`The address ${body.email}`);
      tenantId = route.tenantId;
    }
    const { connection, tenant } = await withTenantScope(dataSource, tenantId, async (db) => ({
      connection: await findSsoConnection(db, tenantId),
      tenant: await findTenantById(db, tenantId),
    }));
    if (!connection?.enabled || !tenant) throw noSso(`The organization "${tenant?.slug ?? body.tenant}"`);
    refuseSsoSignInOffPlan(tenant);
    const settings = await clientSettings(connection);
    let pending;
    try {
      pending = await deps.identity.startLogin(settings, ssoCallbackUri(deps));
    } catch (error) {
      if (error instanceof IdentityError) {
        deps.logger.warn('SSO provider unusable', { tenantId, issuer: connection.issuer, error: error.message });
        throw new ProblemError('unavailable', `${tenant.name}'s identity provider cannot be reached: ${error.message}`);
      }
      throw error;
    }
    const expiresAt = new Date(Date.now() + deps.settings.sso.loginTtlMs);
    await withTenantScope(dataSource, tenantId, (db) =>
      recordLoginAttempt(db, {
        tenantId,
        state: pending.state,
        nonce: pending.nonce,
        codeVerifier: pending.codeVerifier,
        returnTo: body.returnTo ?? null,
        ttlMs: deps.settings.sso.loginTtlMs,
      }),
    );
    res.json({
      authorizationUrl: pending.authorizationUrl,
      state: pending.state,
      tenant: { slug: tenant.slug, name: tenant.name },
      expiresAt: expiresAt.toISOString(),
    } satisfies SsoStart);
  });

  router.post('/callback', limiter(), async (req, res) => {
    const { query } = parseBody(SsoCallbackRequest, req);
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (!state)
      throw new ProblemError('validation', 'The callback has no state.', {
        errors: [{ path: 'query', message: 'The provider redirected without a state parameter.' }],
      });
    const attempt = await withPlatformScope(dataSource, (db) => consumeLoginAttempt(db, state));
    if (!attempt.ok) {
      if (attempt.reason === 'unknown')
        throw new ProblemError('badRequest', 'This sign-in was not started here (unknown state); start again.');
      throw new ProblemError(
        'linkGone',
        attempt.reason === 'used'
          ? 'This sign-in was completed already; start again.'
          : 'This sign-in took too long; start again.',
      );
    }
    const { tenantId } = attempt;
    const { connection, tenant } = await withTenantScope(dataSource, tenantId, async (db) => ({
      connection: await findSsoConnection(db, tenantId),
      tenant: await findTenantById(db, tenantId),
    }));
    if (!connection?.enabled || !tenant)
      throw new ProblemError('ssoFailed', 'Single sign-on was turned off for this organization meanwhile.');
    // Started before the plan lost the feature: refused all the same.
    refuseSsoSignInOffPlan(tenant);
    const providerError = params.get('error');
    if (providerError)
      throw new ProblemError(
        'ssoFailed',
        `The identity provider refused the sign-in: ${params.get('error_description') ?? providerError}.`,
      );

    let identity: VerifiedIdentity;
    try {
      identity = await deps.identity.finishLogin(
        await clientSettings(connection),
        new URL(`${ssoCallbackUri(deps)}?${params.toString()}`),
        { state, nonce: attempt.nonce, codeVerifier: attempt.codeVerifier },
      );
    } catch (error) {
      if (error instanceof IdentityError) {
        deps.logger.warn('SSO callback refused', { tenantId, reason: error.reason, error: error.message });
        throw new ProblemError('ssoFailed', error.message);
      }
      throw error;
    }
    if (!identity.email || !identity.emailVerified)
      throw new ProblemError(
        'ssoFailed',
        `${tenant.name}'s identity provider did not vouch for a verified email address; ask its administrator to release the email and email_verified claims.`,
      );
    const email = identity.email;
    const outcome = await withTenantScope(dataSource, tenantId, async (db) => {
      if (!(await isVerifiedDomainOf(db, tenantId, domainOf(email))))
        throw new ProblemError(
          'ssoFailed',
          `${email} is not in a domain ${tenant.name} has verified, so its identity provider cannot sign it in.`,
        );
      return signInIdentity(db, { tenantId, connection, identity: { ...identity, email }, req, res });
    });
    const user = await findUserById(dataSource, outcome.userId);
    if (!user) throw new Error('SSO user vanished after sign-in');
    const refresh = await issueRefreshToken(dataSource, user.id, deps.settings.auth.refreshTokenTtlMs, {
      ssoTenantId: tenantId,
    });
    await withPlatformScope(dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor: actor(req, res, user.id),
        action: 'session.created',
        targetType: 'session',
        targetId: refresh.familyId,
        after: { method: 'sso', tenantId, issuer: identity.issuer },
      }),
    );
    res.json({
      session: await sessionBody(deps.accessTokens, user, refresh),
      tenant: { slug: tenant.slug, name: tenant.name },
      returnTo: attempt.returnTo,
      accountCreated: outcome.accountCreated,
      membershipCreated: outcome.membershipCreated,
    } satisfies SsoCallback);
  });

  /**
   * Finds the person (by the linked provider account, else by address) or creates them,
   * makes them a member with the default role if they are not one, and links the account.
   */
  async function signInIdentity(
    db: EntityManager,
    input: {
      tenantId: string;
      connection: SsoConnectionRow;
      identity: VerifiedIdentity & { email: string };
      req: Request;
      res: Response;
    },
  ): Promise<{ userId: string; accountCreated: boolean; membershipCreated: boolean }> {
    const { tenantId, identity } = input;
    let userId = await findSsoIdentity(db, tenantId, identity.issuer, identity.subject);
    let accountCreated = false;
    if (!userId) {
      userId = (await findUserByEmail(db, identity.email))?.id ?? null;
      if (!userId) {
        userId = await createSsoUserIfAbsent(db, {
          email: identity.email,
          displayName: identity.name?.trim() || identity.email.split('@')[0]!,
        });
        // Lost a race with another login of the same person: theirs created the account.
        userId ??= (await findUserByEmail(db, identity.email))?.id ?? null;
        if (!userId) throw new Error('SSO account neither created nor found');
        accountCreated = true;
        await appendAuditEntry(db, {
          tenantId,
          actor: actor(input.req, input.res, null),
          action: 'user.created',
          targetType: 'user',
          targetId: userId,
          after: { email: identity.email, via: 'sso', issuer: identity.issuer },
        });
      }
    }
    let membershipCreated = false;
    if (!(await findMembership(db, tenantId, userId))) {
      // Arriving through SSO takes a member's place like accepting an invitation does: counted
      // under the same lock, refused past the plan's limit (and nothing of this sign-in kept).
      await lockPlanLimit(db, tenantId, 'members');
      const [tenant] = await db.query<Array<{ plan: PlanName }>>(`SELECT plan FROM tenants WHERE id = $1`, [tenantId]);
      if (tenant)
        refuseOverPlanLimit(tenant.plan, 'members', await countMembers(db, tenantId), {
          path: 'query',
          counted: 'are members already; ask the tenant’s owner to make room or change the plan',
        });
      membershipCreated = await addMembershipIfAbsent(db, tenantId, userId, input.connection.default_role);
    }
    if (membershipCreated)
      await appendAuditEntry(db, {
        tenantId,
        actor: actor(input.req, input.res, userId),
        action: 'member.added',
        targetType: 'user',
        targetId: userId,
        after: { role: input.connection.default_role, via: 'sso' },
      });
    if (membershipCreated)
      await emitEvent(db, tenantId, 'member.joined', {
        userId,
        email: identity.email,
        role: input.connection.default_role,
        via: 'sso',
      });
    await linkSsoIdentity(db, { tenantId, issuer: identity.issuer, subject: identity.subject, userId });
    return { userId, accountCreated, membershipCreated };
  }

  return router;
}

export const ssoLoginPaths: ZodOpenApiPathsObject = {
  '/api/v1/auth/sso/discover': {
    post: {
      operationId: 'discoverSso',
      summary: "Whether an email address signs in through its organization's single sign-on",
      requestBody: { content: { 'application/json': { schema: SsoDiscoverRequest } } },
      responses: {
        200: { description: 'The answer.', content: { 'application/json': { schema: SsoDiscovery } } },
        ...problemResponses(400, 422, 429),
      },
    },
  },
  '/api/v1/auth/sso/start': {
    post: {
      operationId: 'startSso',
      summary: "Start a sign-in at the organization's identity provider",
      description:
        "404: the organization (or the address's domain) does not sign in through single sign-on. 403 `plan-feature-missing`: it has a provider configured, but its plan does not include single sign-on (the `sso` feature; the message names the plan that does): its people sign in with their passwords until the plan has it again. 503: the provider cannot be reached, or its client secret is missing.",
      requestBody: { content: { 'application/json': { schema: SsoStartRequest } } },
      responses: {
        200: { description: 'Where to send the browser.', content: { 'application/json': { schema: SsoStart } } },
        ...problemResponses(400, 403, 404, 422, 429, 503),
      },
    },
  },
  '/api/v1/auth/sso/callback': {
    post: {
      operationId: 'finishSso',
      summary: "Finish a sign-in with the provider's redirect; signs the person in (just-in-time account)",
      description:
        "403 `plan-feature-missing`: the organization's plan lost single sign-on (the `sso` feature) after the sign-in started. 401 `sso-failed`: the provider refused, or its answer did not hold. 410: the sign-in was used or took too long.",
      requestBody: { content: { 'application/json': { schema: SsoCallbackRequest } } },
      responses: {
        200: { description: 'Signed in.', content: { 'application/json': { schema: SsoCallback } } },
        ...problemResponses(400, 401, 403, 409, 410, 422, 429, 503),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const ssoLoginRoutes: RouteModule = routeModule('/auth/sso', ssoLoginRouter, ssoLoginPaths);
