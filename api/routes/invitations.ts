// Invitations: /api/v1/tenants/:slug/invitations (invite, list pending, revoke; needs
// members.manage, and only owners invite owners) and /api/v1/invitations/:token (what an
// invitation offers, and accepting it). Inviting an address that has a pending invitation
// replaces it (the old link stops working). A new user accepting creates their account
// there; the invitation proved the mailbox, so the address counts as verified.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import {
  AcceptInvitationRequest,
  InvitationAccepted,
  InvitationCreated,
  InvitationOffer,
  InvitationPath,
  InvitationTokenPath,
  InviteRequest,
  PendingInvitationList,
} from '../../contracts/invitations.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import type { InvitationByToken } from '../../db/repositories/invitations.ts';
import {
  findInvitationByToken,
  hasPendingInvitation,
  listPendingInvitations,
  markInvitationAccepted,
  replaceInvitation,
  revokeInvitation,
} from '../../db/repositories/invitations.ts';
import { addMembershipIfAbsent, findMembership } from '../../db/repositories/memberships.ts';
import { issueRefreshToken } from '../../db/repositories/refresh-tokens.ts';
import { findTenantBySlug } from '../../db/repositories/tenants.ts';
import { createUserIfAbsent, findUserByEmail, findUserById, markEmailVerified } from '../../db/repositories/users.ts';
import { countMembers, countMembersAndPendingInvitations } from '../../db/repositories/plan-usage.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { InvalidAccessTokenError } from '../auth/access-tokens.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import { lockPlanLimit, refuseOverPlanLimit } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { sessionBody } from './auth.ts';
import type { RouteModule } from './route-module.ts';

export function invitationsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const settings = deps.settings.auth;

  router.get(
    '/',
    readInTenantScope(deps, 'members.read', async (_req, { access: { tenantId }, db }) => {
      const rows = await listPendingInvitations(db, tenantId);
      return {
        items: rows.map((r) => ({
          id: r.id,
          email: r.email,
          role: r.role,
          invitedBy: r.invited_by_email,
          createdAt: r.created_at.toISOString(),
          expiresAt: r.expires_at.toISOString(),
        })),
      } satisfies PendingInvitationList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const body = parseBody(InviteRequest, req);
    const access = tenantAccessOf(res);
    if (body.role === 'owner' && access.role !== 'owner')
      throw new ProblemError('forbidden', 'Only an owner can invite an owner.', {
        errors: [{ path: 'role', message: 'Choose admin or a lesser role.' }],
      });
    const existing = await findUserByEmail(deps.dataSource, body.email);
    const token = randomBytes(32).toString('base64url');
    const { id } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      if (existing && (await findMembership(db, access.tenantId, existing.id)))
        throw new ProblemError('conflict', `${body.email} is a member already.`, {
          errors: [{ path: 'email', message: 'Already a member.' }],
        });
      // A pending invitation to the same address is replaced, so it does not count twice.
      await lockPlanLimit(db, access.tenantId, 'members');
      const seats =
        (await countMembersAndPendingInvitations(db, access.tenantId)) -
        ((await hasPendingInvitation(db, access.tenantId, body.email)) ? 1 : 0);
      refuseOverPlanLimit(access.tenant.plan, 'members', seats, {
        path: 'email',
        counted: 'are members or invited',
      });
      const invitation = await replaceInvitation(db, {
        tenantId: access.tenantId,
        email: body.email,
        role: body.role,
        token,
        invitedBy: authOf(res).apiKey ? null : authOf(res).userId,
        ttlMs: settings.invitationTtlMs,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'invitation.created',
        targetType: 'invitation',
        targetId: invitation.id,
        after: { email: body.email, role: body.role, replacedPending: invitation.replaced },
      });
      return invitation;
    });
    const tenant = await findTenantBySlug(deps.dataSource, access.slug);
    // The invitation stands even if the mail fails: the answer says so, and inviting again
    // sends a fresh link.
    const mailed = await deps.mailer
      .send({
        to: body.email,
        subject: `You are invited to ${tenant?.name ?? access.slug} on Atrium`,
        text: `Hello,\n\nyou are invited to join ${tenant?.name ?? access.slug} on Atrium as ${body.role}. To accept, open:\n\n${settings.publicUrl}/invitations/${token}\n\nThe link works once and expires in ${Math.round(settings.invitationTtlMs / 86_400_000)} days.\n`,
      })
      .then(() => true)
      .catch((error: unknown) => {
        deps.logger.warn('Invitation mail not sent', { invitationId: id, error });
        return false;
      });
    res.status(201).json({ id, email: body.email, role: body.role, mailed } satisfies InvitationCreated);
  });

  router.delete('/:invitationId', requireTenantPermission(deps, 'members.manage'), async (req, res) => {
    const { invitationId } = parseParams(InvitationPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const revoked = await revokeInvitation(db, access.tenantId, invitationId);
      if (!revoked) throw new ProblemError('notFound', `No pending invitation ${invitationId} in this tenant.`);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'invitation.revoked',
        targetType: 'invitation',
        targetId: invitationId,
        before: { email: revoked.email, role: revoked.role },
      });
    });
    res.status(204).end();
  });

  return router;
}

export function invitationAcceptRouter(deps: ApiDeps): Router {
  const router = Router();

  /** The signed-in user, if the request carries a valid access token. */
  async function optionalUserId(req: Request): Promise<string | null> {
    const bearer = req.get('authorization')?.match(/^Bearer (\S+)$/)?.[1];
    if (!bearer) return null;
    try {
      return (await deps.accessTokens.verify(bearer)).userId;
    } catch (error) {
      if (error instanceof InvalidAccessTokenError)
        throw new ProblemError('unauthenticated', `The access token was refused: ${error.message}.`);
      throw error;
    }
  }

  router.get('/:token', async (req, res) => {
    const { token } = parseParams(InvitationTokenPath, req);
    const invitation = await withPlatformScope(deps.dataSource, (db) => findInvitationByToken(db, token));
    if (!invitation) throw unknownInvitation();
    const account = await findUserByEmail(deps.dataSource, invitation.email);
    res.json({
      tenant: { slug: invitation.tenant_slug, name: invitation.tenant_name },
      email: invitation.email,
      role: invitation.role,
      state: invitation.state,
      accountExists: account !== null,
    } satisfies InvitationOffer);
  });

  router.post('/:token/accept', async (req, res) => {
    const { token } = parseParams(InvitationTokenPath, req);
    const body = parseBody(AcceptInvitationRequest, req);
    const signedInAs = await optionalUserId(req);
    const result = await withPlatformScope(deps.dataSource, async (db) => {
      const invitation = await findInvitationByToken(db, token, { lock: true });
      if (!invitation) throw unknownInvitation();
      if (invitation.state !== 'pending') throw gone(invitation.state);
      const account = await findUserByEmail(db, invitation.email);
      let userId: string;
      let created = false;
      if (account) {
        if (!signedInAs)
          throw new ProblemError('unauthenticated', `Sign in as ${invitation.email} to accept this invitation.`);
        if (signedInAs !== account.id)
          throw new ProblemError(
            'forbidden',
            `This invitation is for ${invitation.email}; sign in as that address to accept it.`,
          );
        userId = account.id;
      } else {
        if (!body.displayName || !body.password)
          throw new ProblemError('validation', 'A new account needs a name and a password.', {
            errors: [
              ...(body.displayName ? [] : [{ path: 'displayName', message: 'Enter your name.' }]),
              ...(body.password ? [] : [{ path: 'password', message: 'Choose a password (at least 12 characters).' }]),
            ],
          });
        userId = (await createUserIfAbsent(db, {
          email: invitation.email,
          displayName: body.displayName,
          password: body.password,
        }))!;
        await markEmailVerified(db, userId, invitation.email);
        created = true;
      }
      // The plan may have shrunk, or members joined another way, since the invitation was sent.
      await lockPlanLimit(db, invitation.tenant_id, 'members');
      const [tenant] = await db.query<Array<{ plan: PlanName }>>(`SELECT plan FROM tenants WHERE id = $1`, [
        invitation.tenant_id,
      ]);
      if (tenant && !(await findMembership(db, invitation.tenant_id, userId)))
        refuseOverPlanLimit(tenant.plan, 'members', await countMembers(db, invitation.tenant_id), {
          path: 'token',
          counted: 'are members; ask the tenant’s owner to make room or change the plan',
        });
      const joined = await addMembershipIfAbsent(db, invitation.tenant_id, userId, invitation.role);
      await markInvitationAccepted(db, invitation.id, userId);
      await appendAuditEntry(db, {
        tenantId: invitation.tenant_id,
        actor: { type: 'user', id: userId, requestId: String(res.locals.requestId), ip: req.ip ?? null },
        action: 'invitation.accepted',
        targetType: 'invitation',
        targetId: invitation.id,
        after: { email: invitation.email, role: invitation.role, newAccount: created },
      });
      await emitEvent(db, invitation.tenant_id, 'invitation.accepted', {
        invitationId: invitation.id,
        userId,
        email: invitation.email,
        role: invitation.role,
        newAccount: created,
      });
      if (joined)
        await emitEvent(db, invitation.tenant_id, 'member.joined', {
          userId,
          email: invitation.email,
          role: invitation.role,
          via: 'invitation',
        });
      return { invitation, userId, created };
    });
    await respondAccepted(res, result);
  });

  async function respondAccepted(
    res: Response,
    { invitation, userId, created }: { invitation: InvitationByToken; userId: string; created: boolean },
  ): Promise<void> {
    const membership = {
      tenant: { slug: invitation.tenant_slug, name: invitation.tenant_name },
      role: invitation.role,
    };
    if (!created) {
      res.json({ membership, session: null } satisfies InvitationAccepted);
      return;
    }
    // A new account is signed in at once, like after signing up.
    const user = (await findUserById(deps.dataSource, userId))!;
    const refresh = await issueRefreshToken(deps.dataSource, userId, deps.settings.auth.refreshTokenTtlMs);
    res
      .status(201)
      .json({ membership, session: await sessionBody(deps.accessTokens, user, refresh) } satisfies InvitationAccepted);
  }

  return router;
}

function unknownInvitation(): ProblemError {
  return new ProblemError('notFound', 'No such invitation: copy the whole link from the mail.');
}

function gone(state: 'accepted' | 'revoked' | 'expired'): ProblemError {
  const detail = {
    accepted: 'This invitation was accepted already.',
    revoked: 'This invitation was withdrawn; ask for a new one.',
    expired: 'This invitation has expired; ask for a new one.',
  }[state];
  return new ProblemError('linkGone', detail);
}

export const invitationsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/invitations': {
    get: {
      operationId: 'listInvitations',
      summary: 'List pending invitations',
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'Pending invitations.',
          content: { 'application/json': { schema: PendingInvitationList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'invite',
      summary: 'Invite someone by email with a role (replaces their pending invitation)',
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: InviteRequest } } },
      responses: {
        201: {
          description: 'Invited; a mail is on its way.',
          content: { 'application/json': { schema: InvitationCreated } },
        },
        ...problemResponses(401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/invitations/{invitationId}': {
    delete: {
      operationId: 'revokeInvitation',
      summary: 'Withdraw a pending invitation',
      requestParams: { path: InvitationPath },
      responses: { 204: { description: 'Withdrawn.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
  '/api/v1/invitations/{token}': {
    get: {
      operationId: 'readInvitation',
      summary: 'What an invitation offers (public: the token is the proof)',
      requestParams: { path: InvitationTokenPath },
      responses: {
        200: { description: 'The invitation.', content: { 'application/json': { schema: InvitationOffer } } },
        ...problemResponses(404, 422),
      },
    },
  },
  '/api/v1/invitations/{token}/accept': {
    post: {
      operationId: 'acceptInvitation',
      summary: 'Accept: signed in as the invited address, or as a new user with a name and a password',
      requestParams: { path: InvitationTokenPath },
      requestBody: { content: { 'application/json': { schema: AcceptInvitationRequest } } },
      responses: {
        200: {
          description: 'Joined (existing account).',
          content: { 'application/json': { schema: InvitationAccepted } },
        },
        201: {
          description: 'Account created, joined and signed in.',
          content: { 'application/json': { schema: InvitationAccepted } },
        },
        ...problemResponses(401, 403, 404, 409, 410, 422),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const invitationsRoutes: RouteModule = {
  mounts: [
    { path: '/tenants/:slug/invitations', router: invitationsRouter },
    { path: '/invitations', router: invitationAcceptRouter },
  ],
  paths: invitationsPaths,
};
