// /api/v1/auth (accounts): sign up (verify-email-first), verify an email address, reset a
// forgotten password. Links in mails carry single-use tokens (pending_signups and
// account_tokens: hashed, expiring). Signup and reset requests answer the same whether or
// not the account exists, so they reveal no accounts.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  EmailVerification,
  PasswordResetConfirm,
  PasswordResetRequest,
  PasswordResetRequested,
  SignupAccepted,
  SignupConfirmRequest,
  SignupRequest,
  SignupRequested,
  SignupResendRequest,
  VerifyEmailRequest,
} from '../../contracts/accounts.ts';
import { TenantPlan } from '../../contracts/tenants.ts';
import type { AccountTokenPurpose } from '../../db/repositories/account-tokens.ts';
import {
  consumeAccountToken,
  countRecentAccountTokens,
  issueAccountToken,
} from '../../db/repositories/account-tokens.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { addMembershipIfAbsent } from '../../db/repositories/memberships.ts';
import { issueRefreshToken, revokeAllRefreshTokensOfUser } from '../../db/repositories/refresh-tokens.ts';
import type { PendingSignupData } from '../../db/repositories/pending-signups.ts';
import {
  completePendingSignups,
  countRecentSignupMails,
  deleteExpiredPendingSignups,
  findOpenPendingSignup,
  insertPendingSignup,
  insertSignupAttemptOnAccount,
  lockPendingSignup,
} from '../../db/repositories/pending-signups.ts';
import { findTenantBySlug, insertTenantIfAbsent } from '../../db/repositories/tenants.ts';
import type { UserRow } from '../../db/repositories/users.ts';
import {
  createSignedUpUserIfAbsent,
  findUserByEmail,
  findUserById,
  hashPassword,
  markEmailVerified,
  setPassword,
} from '../../db/repositories/users.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { addLogContext } from '../../logging/context.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { operationLinks } from '../operations/operation-view.ts';
import { startTenantProvisioning } from '../tenant-provisioning/starter.ts';
import { sessionBody } from './auth.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

const RESEND_INTERVAL_MS = 60_000;

export function accountsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { dataSource, mailer } = deps;
  const settings = deps.settings.auth;

  // Per-IP limits for the anonymous endpoints that send mail or create accounts.
  const perIp = (what: string, limit: number) =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, _res, next) => {
        const { rateLimit: info } = req as Request & { rateLimit?: { resetTime?: Date } };
        const retryAfter = secondsUntil(info?.resetTime ?? new Date(Date.now() + 60_000));
        next(
          new ProblemError('rateLimited', `Too many ${what} from this address; retry in ${retryAfter} s.`, {
            headers: { 'Retry-After': retryAfter },
          }),
        );
      },
    });

  const link = (path: string, token: string) => `${settings.publicUrl}${path}?token=${encodeURIComponent(token)}`;

  async function sendVerification(userId: string, email: string, displayName: string): Promise<void> {
    const token = await withPlatformScope(dataSource, (db) =>
      issueAccountToken(db, { userId, purpose: 'verify_email', email, ttlMs: settings.emailVerificationTtlMs }),
    );
    await mailer.send({
      to: email,
      subject: 'Confirm your email address for Atrium',
      text: `Hello ${displayName},\n\nconfirm that ${email} is yours by opening this link:\n\n${link('/verify-email', token)}\n\nThe link works once and expires in ${humanDuration(settings.emailVerificationTtlMs)}. If you did not sign up for Atrium, ignore this mail.\n`,
    });
  }

  // Verify-email-first: POST /signup answers the same 202 whether or not the address has an
  // account, and does the same work either way (hash the password, read the address, write
  // a row, queue one mail that is not awaited), so neither the answer nor its timing tells.
  // The owner of the address learns which from the mail: a link that completes the signup,
  // or word that the address has an account already.
  const signupRequested: SignupRequested = {
    detail: 'Check your email: a message with how to go on is on its way. It may take a minute to arrive.',
  };

  function mailSignupLink(data: PendingSignupData, token: string): void {
    mailer
      .send({
        to: data.email,
        subject: 'Confirm your email address to finish signing up for Atrium',
        text: `Hello ${data.displayName},\n\nto finish creating your Atrium account and the organization ${data.organizationName} (${data.organizationSlug}), open:\n\n${link('/signup/confirm', token)}\n\nThe link works once and expires in ${humanDuration(settings.emailVerificationTtlMs)}. If you did not sign up for Atrium, ignore this mail: nothing is created without it.\n`,
      })
      .catch((error: unknown) => deps.logger.warn('Signup mail not sent', { error }));
  }

  function mailAccountExists(user: UserRow): void {
    mailer
      .send({
        to: user.email,
        subject: 'Someone tried to sign up for Atrium with your address',
        text: `Hello ${user.display_name},\n\nsomeone just tried to create a new Atrium account with ${user.email}, but you have an account with this address already, so nothing was created.\n\nIf it was you, sign in instead:\n\n${settings.publicUrl}/login\n\nForgot your password? Choose a new one here:\n\n${settings.publicUrl}/forgot-password\n\nIf it was not you, ignore this mail: your account is unchanged.\n`,
      })
      .catch((error: unknown) => deps.logger.warn('Account-exists mail not sent', { userId: user.id, error }));
  }

  /**
   * Records the signup (or the attempt on an address with an account) and then queues its
   * mail (after the commit, so the link works the moment it arrives), unless the address had
   * its mails for this hour. Does the same database work either way.
   */
  async function recordSignup(data: PendingSignupData, passwordHash: string): Promise<void> {
    const sendMail = await withPlatformScope(dataSource, async (db): Promise<(() => void) | null> => {
      await deleteExpiredPendingSignups(db);
      const existing = await findUserByEmail(db, data.email);
      if ((await countRecentSignupMails(db, data.email, 3_600_000)) >= settings.signupMailsPerHour) {
        deps.logger.warn('Signup mail limit reached for an address; no mail sent', { userId: existing?.id });
        return null;
      }
      if (existing) {
        await insertSignupAttemptOnAccount(db, {
          ...data,
          existingUserId: existing.id,
          ttlMs: settings.emailVerificationTtlMs,
        });
        deps.logger.info('Signup attempted with the address of an account; telling its owner', {
          userId: existing.id,
        });
        return () => mailAccountExists(existing);
      }
      const token = await insertPendingSignup(db, { ...data, passwordHash, ttlMs: settings.emailVerificationTtlMs });
      return () => mailSignupLink(data, token);
    });
    sendMail?.();
  }

  router.post('/signup', perIp('signups', settings.loginRateLimitPerMinute), async (req, res) => {
    const body = parseBody(SignupRequest, req);
    // A taken slug is about organizations, not accounts: it answers alike for every address.
    if (await findTenantBySlug(dataSource, body.organization.slug))
      throw taken('organization.slug', 'This slug is already taken.');
    // Hashed whether or not the address has an account, so timing does not tell.
    const passwordHash = await hashPassword(body.password);
    await recordSignup(
      {
        email: body.email,
        displayName: body.displayName,
        organizationName: body.organization.name,
        organizationSlug: body.organization.slug,
        plan: body.plan,
      },
      passwordHash,
    );
    res.status(202).json(signupRequested);
  });

  // "Send it again" from the portal's check-your-email page: a new link for the address's
  // newest open signup (its earlier links keep working until one is used), or the
  // account-exists mail again; nothing for an address with neither. The same answer always.
  router.post('/signup/resend', perIp('signup mails', 10), async (req, res) => {
    const { email } = parseBody(SignupResendRequest, req);
    const open = await findOpenPendingSignup(dataSource, email);
    const data: PendingSignupData = open
      ? {
          email: open.email,
          displayName: open.display_name,
          organizationName: open.organization_name,
          organizationSlug: open.organization_slug,
          plan: open.plan,
        }
      : { email, displayName: '', organizationName: '', organizationSlug: '', plan: 'free' };
    if (open?.password_hash || (await findUserByEmail(dataSource, email)))
      await recordSignup(data, open?.password_hash ?? '');
    res.status(202).json(signupRequested);
  });

  // The mailed link: creates the account (its address verified), the tenant (pending) and the
  // owner membership with their audit entries in one transaction, and starts provisionTenant
  // before committing (a failed start writes nothing; the record step finds the tenant row
  // already there). The signup's links are used up in the same transaction.
  router.post('/signup/confirm', perIp('signup confirmations', 30), async (req, res) => {
    const { token } = parseBody(SignupConfirmRequest, req);
    const tenantId = randomUUID();
    addLogContext({ tenantId });
    const outcome = await withPlatformScope(dataSource, async (db) => {
      const use = await lockPendingSignup(db, token);
      if (!use.ok) return use;
      const { signup } = use;
      const plan = TenantPlan.parse(signup.plan);
      const userId = await createSignedUpUserIfAbsent(db, {
        email: signup.email,
        displayName: signup.display_name,
        passwordHash: signup.password_hash,
      });
      // The address got an account another way since (an invitation): whoever clicked owns it.
      if (!userId)
        throw new ProblemError(
          'linkGone',
          `${signup.email} has an Atrium account already: sign in, or reset the password if you forgot it.`,
          { errors: [{ path: 'token', message: 'The address has an account already.' }] },
        );
      const actor = {
        type: 'user' as const,
        id: userId,
        requestId: String(res.locals.requestId),
        ip: req.ip ?? null,
      };
      const slugGone = () =>
        taken(
          'organization.slug',
          `The slug ${signup.organization_slug} was taken since you signed up; sign up again with another.`,
        );
      const { inserted } = await insertTenantIfAbsent(db, {
        id: tenantId,
        slug: signup.organization_slug,
        name: signup.organization_name,
        plan,
        ownerEmail: signup.email,
      });
      if (!inserted) throw slugGone();
      await addMembershipIfAbsent(db, tenantId, userId, 'owner');
      await completePendingSignups(db, signup.email, userId);
      await appendAuditEntry(db, {
        tenantId: null,
        actor,
        action: 'user.signed_up',
        targetType: 'user',
        targetId: userId,
        after: { email: signup.email, emailVerified: true },
      });
      await appendAuditEntry(db, {
        tenantId,
        actor,
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: tenantId,
        after: { slug: signup.organization_slug, name: signup.organization_name, plan, status: 'pending' },
      });
      await appendAuditEntry(db, {
        tenantId,
        actor,
        action: 'member.added',
        targetType: 'user',
        targetId: userId,
        after: { role: 'owner' },
      });
      await emitEvent(db, tenantId, 'member.joined', { userId, email: signup.email, role: 'owner', via: 'signup' });
      const started = await startTenantProvisioning(
        {
          client: deps.temporal.client,
          taskQueuePrefix: deps.temporal.taskQueuePrefix,
          timings: deps.settings.activityTimings,
          approval: deps.settings.approval,
        },
        {
          tenantId,
          slug: signup.organization_slug,
          name: signup.organization_name,
          plan,
          ownerEmail: signup.email,
          requestedBy: actor,
          // The person signing up asked for the tenant: they never approve it themselves.
          approvalRequesterId: userId,
        },
      );
      if (!started.started) throw slugGone();
      return { ok: true as const, userId, started, signup, plan };
    });
    if (!outcome.ok) {
      if (outcome.reason === 'used')
        throw new ProblemError('linkGone', 'This signup is complete already: sign in with your email and password.', {
          errors: [{ path: 'token', message: 'Used already.' }],
        });
      throw linkRefused(outcome.reason, 'signup');
    }
    const { userId, started, signup, plan } = outcome;
    deps.logger.info('Signed up; provisioning started', { userId, workflowId: started.workflowId });
    const user = (await findUserById(dataSource, userId))!;
    const refresh = await issueRefreshToken(dataSource, userId, settings.refreshTokenTtlMs);
    const links = operationLinks(started.workflowId, started.runId, {
      client: deps.temporal.client,
      namespace: deps.temporal.namespace,
      temporalUiUrl: deps.temporal.uiPath,
    });
    res
      .status(202)
      .location(links.self)
      .json({
        session: await sessionBody(deps.accessTokens, user, refresh),
        tenant: {
          id: tenantId,
          slug: signup.organization_slug,
          name: signup.organization_name,
          plan,
          status: 'pending',
        },
        operation: { id: started.workflowId, kind: 'tenant-provision', tenantId, links },
      } satisfies SignupAccepted);
  });

  router.post('/verify-email', perIp('verification attempts', 30), async (req, res) => {
    const { token } = parseBody(VerifyEmailRequest, req);
    const result = await withPlatformScope(dataSource, async (db) => {
      const use = await consumeAccountToken(db, token, 'verify_email');
      if (!use.ok) return use;
      // An address change: someone may have taken the new address since it was asked for.
      const holder = await findUserByEmail(db, use.email);
      if (holder && holder.id !== use.userId)
        throw new ProblemError('conflict', `Another account uses ${use.email} now; ask for the change again.`, {
          errors: [{ path: 'token', message: 'The address is taken.' }],
        });
      await markEmailVerified(db, use.userId, use.email);
      await appendAuditEntry(db, {
        tenantId: null,
        actor: { type: 'user', id: use.userId, requestId: String(res.locals.requestId), ip: req.ip ?? null },
        action: 'user.email_verified',
        targetType: 'user',
        targetId: use.userId,
        after: { email: use.email },
      });
      return use;
    });
    if (!result.ok) throw linkRefused(result.reason, 'verification');
    res.json({ email: result.email, verified: true } satisfies EmailVerification);
  });

  router.post('/verify-email/resend', requireAuth(deps.accessTokens), async (_req, res) => {
    const user = await findUserById(dataSource, authOf(res).userId);
    if (!user) throw new ProblemError('unauthenticated', 'The account no longer exists.');
    if (user.email_verified_at) {
      res.json({ email: user.email, verified: true } satisfies EmailVerification);
      return;
    }
    await throttle(
      user.id,
      'verify_email',
      1,
      RESEND_INTERVAL_MS,
      'A verification mail was sent less than a minute ago',
    );
    await sendVerification(user.id, user.email, user.display_name);
    res.status(202).json({ email: user.email, verified: false } satisfies EmailVerification);
  });

  router.post('/password-reset', perIp('password reset requests', 10), async (req, res) => {
    const { email } = parseBody(PasswordResetRequest, req);
    const user = await findUserByEmail(dataSource, email);
    // The answer is the same either way; only an existing account under its limit gets mail.
    if (user) {
      const recent = await withPlatformScope(dataSource, (db) =>
        countRecentAccountTokens(db, user.id, 'reset_password', 3_600_000),
      );
      if (recent.count < settings.passwordResetsPerHour) {
        const token = await withPlatformScope(dataSource, (db) =>
          issueAccountToken(db, {
            userId: user.id,
            purpose: 'reset_password',
            email: user.email,
            ttlMs: settings.passwordResetTtlMs,
          }),
        );
        // Not awaited: waiting for the mail server would make known addresses answer slower.
        mailer
          .send({
            to: user.email,
            subject: 'Reset your Atrium password',
            text: `Hello ${user.display_name},\n\nsomeone asked to reset the password of your Atrium account. To choose a new one, open:\n\n${link('/reset-password', token)}\n\nThe link works once and expires in ${humanDuration(settings.passwordResetTtlMs)}. If it was not you, ignore this mail: your password stays as it is.\n`,
          })
          .catch((error: unknown) => deps.logger.warn('Password reset mail not sent', { userId: user.id, error }));
      } else {
        deps.logger.warn('Password reset limit reached; no mail sent', { userId: user.id });
      }
    }
    res.status(202).json({
      detail: 'If an account exists for this address, a reset link is on its way.',
    } satisfies PasswordResetRequested);
  });

  router.post('/password-reset/confirm', perIp('password reset attempts', 30), async (req, res) => {
    const { token, password } = parseBody(PasswordResetConfirm, req);
    const result = await withPlatformScope(dataSource, async (db) => {
      const use = await consumeAccountToken(db, token, 'reset_password');
      if (!use.ok) return use;
      await setPassword(db, use.userId, password);
      // Whoever knew the old password is signed out everywhere.
      await revokeAllRefreshTokensOfUser(db, use.userId, 'password_reset');
      await appendAuditEntry(db, {
        tenantId: null,
        actor: { type: 'user', id: use.userId, requestId: String(res.locals.requestId), ip: req.ip ?? null },
        action: 'user.password_reset',
        targetType: 'user',
        targetId: use.userId,
      });
      return use;
    });
    if (!result.ok) throw linkRefused(result.reason, 'password reset');
    await mailer
      .send({
        to: result.email,
        subject: 'Your Atrium password was changed',
        text: `Your Atrium password was just changed through a reset link, and every session was signed out.\n\nIf this was not you, reset it again right away and tell your administrator.\n`,
      })
      .catch((error: unknown) => deps.logger.warn('Password change notice not sent', { userId: result.userId, error }));
    res.status(204).end();
  });

  async function throttle(userId: string, purpose: AccountTokenPurpose, max: number, windowMs: number, what: string) {
    const recent = await withPlatformScope(dataSource, (db) => countRecentAccountTokens(db, userId, purpose, windowMs));
    if (recent.count >= max && recent.oldest) {
      const retryAfter = secondsUntil(new Date(recent.oldest.getTime() + windowMs));
      throw new ProblemError('rateLimited', `${what}; retry in ${retryAfter} s.`, {
        headers: { 'Retry-After': retryAfter },
      });
    }
  }

  return router;
}

function taken(path: string, message: string): ProblemError {
  return new ProblemError('conflict', message, { errors: [{ path, message }] });
}

function linkRefused(reason: 'unknown' | 'used' | 'expired', what: string): ProblemError {
  if (reason === 'unknown')
    return new ProblemError('badRequest', `This ${what} link is not valid: copy the whole link from the mail.`, {
      errors: [{ path: 'token', message: 'Unknown link.' }],
    });
  return new ProblemError(
    'linkGone',
    reason === 'used' ? `This ${what} link was used already.` : `This ${what} link has expired; ask for a new one.`,
    {
      errors: [{ path: 'token', message: reason === 'used' ? 'Used already.' : 'Expired.' }],
    },
  );
}

function secondsUntil(when: Date): string {
  return String(Math.max(1, Math.ceil((when.getTime() - Date.now()) / 1000)));
}

function humanDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  return `${Math.round(ms / 60_000)} minutes`;
}

export const accountsPaths: ZodOpenApiPathsObject = {
  '/api/v1/auth/signup': {
    post: {
      operationId: 'signup',
      summary:
        'Ask for an account and its organization (a tenant): a mailed link completes the signup. The same answer whether or not the address has an account',
      requestBody: { content: { 'application/json': { schema: SignupRequest } } },
      responses: {
        202: {
          description:
            'A mail is on its way: the link that completes the signup, or, for an address with an account, word of it.',
          content: { 'application/json': { schema: SignupRequested } },
        },
        ...problemResponses(400, 409, 422, 429),
      },
    },
  },
  '/api/v1/auth/signup/resend': {
    post: {
      operationId: 'resendSignup',
      summary: "Mail the address's pending signup link again (the same answer whatever the address)",
      requestBody: { content: { 'application/json': { schema: SignupResendRequest } } },
      responses: {
        202: { description: 'Accepted.', content: { 'application/json': { schema: SignupRequested } } },
        ...problemResponses(400, 422, 429),
      },
    },
  },
  '/api/v1/auth/signup/confirm': {
    post: {
      operationId: 'confirmSignup',
      summary:
        'Complete a signup with the token from the mailed link: the account (verified), a session, the tenant; provisioning starts',
      requestBody: { content: { 'application/json': { schema: SignupConfirmRequest } } },
      responses: {
        202: {
          description: 'Signed up: the session, the pending tenant and its provisioning operation.',
          content: { 'application/json': { schema: SignupAccepted } },
        },
        ...problemResponses(400, 409, 410, 422, 429),
      },
    },
  },
  '/api/v1/auth/verify-email': {
    post: {
      operationId: 'verifyEmail',
      summary: 'Confirm an email address with the token from the mailed link',
      requestBody: { content: { 'application/json': { schema: VerifyEmailRequest } } },
      responses: {
        200: {
          description: 'Verified.',
          content: { 'application/json': { schema: EmailVerification } },
        },
        ...problemResponses(400, 410, 422, 429),
      },
    },
  },
  '/api/v1/auth/verify-email/resend': {
    post: {
      operationId: 'resendVerification',
      summary: "Mail the signed-in user's verification link again (once a minute at most)",
      responses: {
        202: { description: 'Sent.', content: { 'application/json': { schema: EmailVerification } } },
        200: { description: 'Already verified.', content: { 'application/json': { schema: EmailVerification } } },
        ...problemResponses(401, 429),
      },
    },
  },
  '/api/v1/auth/password-reset': {
    post: {
      operationId: 'requestPasswordReset',
      summary: 'Mail a password reset link (the same answer whether or not the account exists)',
      requestBody: { content: { 'application/json': { schema: PasswordResetRequest } } },
      responses: {
        202: { description: 'Accepted.', content: { 'application/json': { schema: PasswordResetRequested } } },
        ...problemResponses(400, 422, 429),
      },
    },
  },
  '/api/v1/auth/password-reset/confirm': {
    post: {
      operationId: 'confirmPasswordReset',
      summary: 'Set a new password with the token from the mailed link; signs out every session',
      requestBody: { content: { 'application/json': { schema: PasswordResetConfirm } } },
      responses: { 204: { description: 'Changed.' }, ...problemResponses(400, 410, 422, 429) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const accountsRoutes: RouteModule = routeModule('/auth', accountsRouter, accountsPaths);
