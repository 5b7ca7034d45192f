// /api/v1/me: the signed-in user's own account: read it, change the display name, change
// the password (knowing the current one; every other session ends) and change the email
// address (it changes once the new address is confirmed from a mailed link).
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { Session } from '../../contracts/auth.ts';
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  EmailChangeRequested,
  Me,
  UpdateProfileRequest,
} from '../../contracts/profile.ts';
import { countRecentAccountTokens, issueAccountToken } from '../../db/repositories/account-tokens.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { issueRefreshToken, revokeAllRefreshTokensOfUser } from '../../db/repositories/refresh-tokens.ts';
import type { UserRow } from '../../db/repositories/users.ts';
import { findUserByEmail, findUserById, setDisplayName, setPassword } from '../../db/repositories/users.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { passwordMatches } from '../auth/passwords.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { sessionBody, toUserView } from './auth.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

function toMe(user: UserRow): Me {
  return { ...toUserView(user), emailVerified: user.email_verified_at !== null };
}

export function meRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));

  async function me(res: Response): Promise<UserRow> {
    const user = await findUserById(deps.dataSource, authOf(res).userId);
    if (!user) throw new ProblemError('unauthenticated', 'The account no longer exists.');
    return user;
  }
  const audit = (req: Request, res: Response, action: string, after?: Record<string, unknown>) =>
    withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action,
        targetType: 'user',
        targetId: authOf(res).userId,
        after: after ?? null,
      }),
    );

  router.get('/', async (_req, res) => {
    res.json(toMe(await me(res)));
  });

  router.patch('/', async (req, res) => {
    const { displayName } = parseBody(UpdateProfileRequest, req);
    const user = await me(res);
    await withPlatformScope(deps.dataSource, async (db) => {
      await setDisplayName(db, user.id, displayName);
      await appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: 'user.profile_updated',
        targetType: 'user',
        targetId: user.id,
        before: { displayName: user.display_name },
        after: { displayName },
      });
    });
    res.json(toMe((await findUserById(deps.dataSource, user.id))!));
  });

  router.post('/password', async (req, res) => {
    const { currentPassword, newPassword } = parseBody(ChangePasswordRequest, req);
    const user = await me(res);
    if (!(await passwordMatches(user.password_hash, currentPassword)))
      throw new ProblemError('validation', 'The current password is not right.', {
        errors: [{ path: 'currentPassword', message: 'Not your current password.' }],
      });
    await withPlatformScope(deps.dataSource, async (db) => {
      await setPassword(db, user.id, newPassword);
      // Every session ends; this one continues with the fresh tokens in the answer.
      await revokeAllRefreshTokensOfUser(db, user.id, 'password_changed');
      await appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: 'user.password_changed',
        targetType: 'user',
        targetId: user.id,
      });
    });
    // The fresh session keeps what this one was (signed in through a tenant's SSO or not).
    const refresh = await issueRefreshToken(deps.dataSource, user.id, deps.settings.auth.refreshTokenTtlMs, {
      ssoTenantId: authOf(res).ssoTenantId ?? null,
    });
    res.json(await sessionBody(deps.accessTokens, user, refresh));
  });

  router.post('/email', async (req, res) => {
    const { email } = parseBody(ChangeEmailRequest, req);
    const user = await me(res);
    if (email.toLowerCase() === user.email.toLowerCase())
      throw new ProblemError('validation', 'That is your address already.', {
        errors: [{ path: 'email', message: 'Enter a different address.' }],
      });
    // The same answer, limit and work whether or not another account uses the address: a
    // token is issued either way (for a taken address it is never mailed, and confirming it
    // would be refused), and the new address gets one mail either way; its owner learns
    // which from the mail. The caller cannot tell, so the address reveals no account.
    const recent = await withPlatformScope(deps.dataSource, (db) =>
      countRecentAccountTokens(db, user.id, 'verify_email', 60_000),
    );
    if (recent.count > 0)
      throw new ProblemError('rateLimited', 'A confirmation mail was sent less than a minute ago; retry shortly.', {
        headers: { 'Retry-After': '60' },
      });
    const { token, holder } = await withPlatformScope(deps.dataSource, async (db) => ({
      holder: await findUserByEmail(db, email),
      token: await issueAccountToken(db, {
        userId: user.id,
        purpose: 'verify_email',
        email,
        ttlMs: deps.settings.auth.emailVerificationTtlMs,
      }),
    }));
    const mail = holder
      ? {
          to: email,
          subject: 'Someone asked to use your address for another Atrium account',
          text: `Hello ${holder.display_name},\n\nsomeone signed in to another Atrium account asked to change its email address to ${email}. This address belongs to your Atrium account already, so nothing was changed and no other account can use it.\n\nIf it was you, sign in to this account instead:\n\n${deps.settings.auth.publicUrl}/login\n\nIf it was not you, ignore this mail: your account is unchanged.\n`,
        }
      : {
          to: email,
          subject: 'Confirm your new email address for Atrium',
          text: `Hello ${user.display_name},\n\nto use ${email} for your Atrium account, open:\n\n${deps.settings.auth.publicUrl}/verify-email?token=${encodeURIComponent(token)}\n\nUntil then you keep signing in as ${user.email}. If you did not ask for this, ignore this mail.\n`,
        };
    // Not awaited: waiting for the mail server must not make one case answer slower.
    deps.mailer
      .send(mail)
      .catch((error: unknown) => deps.logger.warn('Email change mail not sent', { userId: user.id, error }));
    await audit(req, res, 'user.email_change_requested', holder ? { email, addressTaken: true } : { email });
    res.status(202).json({ pendingEmail: email } satisfies EmailChangeRequested);
  });

  return router;
}

export const mePaths: ZodOpenApiPathsObject = {
  '/api/v1/me': {
    get: {
      operationId: 'getMe',
      summary: 'The signed-in user',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'The user.', content: { 'application/json': { schema: Me } } },
        ...problemResponses(401),
      },
    },
    patch: {
      operationId: 'updateMe',
      summary: 'Change the display name',
      security: [{ bearer: [] }],
      requestBody: { content: { 'application/json': { schema: UpdateProfileRequest } } },
      responses: {
        200: { description: 'The user.', content: { 'application/json': { schema: Me } } },
        ...problemResponses(400, 401, 422),
      },
    },
  },
  '/api/v1/me/password': {
    post: {
      operationId: 'changePassword',
      summary: 'Change the password; every other session ends, this one gets fresh tokens',
      security: [{ bearer: [] }],
      requestBody: { content: { 'application/json': { schema: ChangePasswordRequest } } },
      responses: {
        200: { description: 'A new session.', content: { 'application/json': { schema: Session } } },
        ...problemResponses(400, 401, 422),
      },
    },
  },
  '/api/v1/me/email': {
    post: {
      operationId: 'changeEmail',
      summary: 'Ask to change the email address; it changes once confirmed from the mailed link',
      security: [{ bearer: [] }],
      requestBody: { content: { 'application/json': { schema: ChangeEmailRequest } } },
      responses: {
        202: {
          description:
            'A mail went to the new address: the confirmation link, or (the same answer) word that the address belongs to another account.',
          content: { 'application/json': { schema: EmailChangeRequested } },
        },
        ...problemResponses(400, 401, 422, 429),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const meRoutes: RouteModule = routeModule('/me', meRouter, mePaths);
