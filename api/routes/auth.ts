// /api/v1/auth: sign in with email and password, exchange a refresh token, sign out.
// Logins are rate limited per IP address and lock an account after repeated failures;
// both answer 429 with Retry-After.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { User } from '../../contracts/auth.ts';
import { LoginRequest, RefreshRequest, Session } from '../../contracts/auth.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import {
  issueRefreshToken,
  revokeRefreshTokenFamily,
  rotateRefreshToken,
} from '../../db/repositories/refresh-tokens.ts';
import type { UserRow } from '../../db/repositories/users.ts';
import {
  findUserByEmail,
  findUserById,
  recordFailedLogin,
  recordSuccessfulLogin,
} from '../../db/repositories/users.ts';
import { findVerifiedDomain } from '../../db/repositories/sso.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { passwordMatches } from '../auth/passwords.ts';
import { planIncludes } from '../billing/plan-limits.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function toUserView(user: UserRow): User {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    isPlatformAdmin: user.is_platform_admin,
    operatorRole: user.operator_role,
  };
}

/** The body of a sign-in answer: a fresh access token plus the refresh token just issued. */
export async function sessionBody(
  accessTokens: AccessTokens,
  user: UserRow,
  refresh: { token: string; expiresAt: Date; ssoTenantId?: string | null },
): Promise<Session> {
  return {
    tokenType: 'Bearer' as const,
    accessToken: await accessTokens.sign({
      userId: user.id,
      platformAdmin: user.is_platform_admin,
      ssoTenantId: refresh.ssoTenantId ?? null,
    }),
    expiresIn: Math.floor(accessTokens.ttlMs / 1000),
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt.toISOString(),
    user: toUserView(user),
  };
}

export function authRouter(deps: ApiDeps): Router {
  const router = Router();
  const { dataSource, accessTokens } = deps;
  const settings = deps.settings.auth;

  const loginLimiter = rateLimit({
    windowMs: 60_000,
    limit: settings.loginRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, _res, next) => {
      const { rateLimit: info } = req as Request & { rateLimit?: { resetTime?: Date } };
      const resetAt = info?.resetTime?.getTime() ?? Date.now() + 60_000;
      const retryAfter = String(Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)));
      next(
        new ProblemError('rateLimited', `Too many login attempts from this address; retry in ${retryAfter} s.`, {
          headers: { 'Retry-After': retryAfter },
        }),
      );
    },
  });

  async function audit(
    req: Request,
    res: Response,
    userId: string | null,
    action: string,
    targetId: string | null,
    after?: Record<string, unknown>,
  ) {
    const actor: AuditActor = {
      type: userId ? 'user' : 'anonymous',
      id: userId,
      requestId: String(res.locals.requestId),
      ip: req.ip ?? null,
    };
    await withPlatformScope(dataSource, (db) =>
      appendAuditEntry(db, { tenantId: null, actor, action, targetType: 'session', targetId, after: after ?? null }),
    );
  }

  /**
   * A verified domain whose organization requires SSO: its people sign in there only, while
   * its plan includes single sign-on (without it, nobody can sign in through the provider).
   */
  async function refuseWhenSsoRequired(email: string): Promise<void> {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const route = await withPlatformScope(dataSource, (db) => findVerifiedDomain(db, domain));
    if (route?.enabled && route.ssoRequired && planIncludes(route.plan, 'sso'))
      throw new ProblemError(
        'ssoRequired',
        `Addresses at ${domain.toLowerCase()} sign in through the single sign-on of "${route.slug}" (POST /api/v1/auth/sso/start).`,
      );
  }

  const session = (user: UserRow, refresh: { token: string; expiresAt: Date; ssoTenantId?: string | null }) =>
    sessionBody(accessTokens, user, refresh);

  router.post('/login', loginLimiter, async (req, res) => {
    const { email, password } = parseBody(LoginRequest, req);
    const user = await findUserByEmail(dataSource, email);
    // Platform staff keep password sign-in: they must be able to repair a broken provider.
    if (!user?.is_platform_admin) await refuseWhenSsoRequired(email);
    if (user?.locked_until && user.locked_until > new Date()) throw locked(user.locked_until);
    if (!user || !(await passwordMatches(user?.password_hash ?? null, password))) {
      if (user) {
        const lockedUntil = await recordFailedLogin(dataSource, user.id, settings.lockoutThreshold, settings.lockoutMs);
        if (lockedUntil) {
          await audit(req, res, null, 'user.locked', user.id, { lockedUntil: lockedUntil.toISOString() });
          throw locked(lockedUntil);
        }
      }
      throw new ProblemError('invalidCredentials', 'Check the email address and password.');
    }
    await recordSuccessfulLogin(dataSource, user.id);
    const refresh = await issueRefreshToken(dataSource, user.id, settings.refreshTokenTtlMs);
    await audit(req, res, user.id, 'session.created', refresh.familyId);
    res.json(await session(user, refresh));
  });

  router.post('/refresh', async (req, res) => {
    const { refreshToken } = parseBody(RefreshRequest, req);
    const result = await rotateRefreshToken(dataSource, refreshToken, settings.refreshTokenTtlMs);
    if (!result.ok) {
      if (result.reason === 'reused') {
        deps.logger.warn('Refresh token reused; its family is revoked', {
          userId: result.userId,
          familyId: result.familyId,
        });
        await audit(req, res, null, 'session.reuse_detected', result.familyId, { userId: result.userId });
      }
      throw new ProblemError('invalidRefreshToken', refreshRefusal(result.reason));
    }
    const user = await findUserById(dataSource, result.userId);
    if (!user) throw new ProblemError('invalidRefreshToken', 'The account no longer exists.');
    res.json(await session(user, result.next));
  });

  router.post('/logout', async (req, res) => {
    const { refreshToken } = parseBody(RefreshRequest, req);
    const revoked = await revokeRefreshTokenFamily(dataSource, refreshToken);
    if (revoked) await audit(req, res, revoked.userId, 'session.revoked', revoked.familyId);
    res.status(204).end();
  });

  return router;
}

function locked(until: Date): ProblemError {
  const retryAfter = String(Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000)));
  return new ProblemError('accountLocked', `Too many failed logins; try again after ${until.toISOString()}.`, {
    headers: { 'Retry-After': retryAfter },
  });
}

function refreshRefusal(reason: 'unknown' | 'expired' | 'revoked' | 'reused'): string {
  switch (reason) {
    case 'reused':
      return 'This refresh token was already used; every session from that login is now signed out. Log in again.';
    case 'expired':
      return 'The refresh token has expired; log in again.';
    case 'revoked':
      return 'The session was signed out; log in again.';
    default:
      return 'The refresh token is not recognized; log in again.';
  }
}

export const authPaths: ZodOpenApiPathsObject = {
  '/api/v1/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in with email and password',
      requestBody: { content: { 'application/json': { schema: LoginRequest } } },
      responses: {
        200: { description: 'Signed in.', content: { 'application/json': { schema: Session } } },
        ...problemResponses(400, 401, 403, 422, 429),
      },
    },
  },
  '/api/v1/auth/refresh': {
    post: {
      operationId: 'refreshSession',
      summary: 'Exchange a refresh token for new tokens (the old one stops working)',
      requestBody: { content: { 'application/json': { schema: RefreshRequest } } },
      responses: {
        200: { description: 'New tokens.', content: { 'application/json': { schema: Session } } },
        ...problemResponses(400, 401, 422),
      },
    },
  },
  '/api/v1/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'Sign out: revoke the refresh token and every token of its login',
      requestBody: { content: { 'application/json': { schema: RefreshRequest } } },
      responses: { 204: { description: 'Signed out.' }, ...problemResponses(400, 422) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const authRoutes: RouteModule = routeModule('/auth', authRouter, authPaths);
