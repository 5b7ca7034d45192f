// /api/v1/tenants/:slug/sso/domains and /api/v1/sso/domain-verifications: the email
// domains a tenant proved it controls. Proof is a single-use link mailed to an address at
// the domain. A verified domain sends its people's logins to the tenant's provider and is
// the only place just-in-time accounts may come from, so one domain belongs to one tenant.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { SsoDomain } from '../../contracts/sso.ts';
import {
  SsoDomainAdded,
  SsoDomainList,
  SsoDomainPath,
  SsoDomainRequest,
  SsoDomainVerificationRequest,
  SsoDomainVerified,
} from '../../contracts/sso.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { SsoDomainRow } from '../../db/repositories/sso.ts';
import {
  confirmDomainVerification,
  deleteSsoDomain,
  findSsoConnection,
  findVerifiedDomain,
  listSsoDomains,
  requestDomainVerification,
} from '../../db/repositories/sso.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { refuseApiKeyCaller, requireSsoFeature } from './sso-connection.ts';
import type { RouteModule } from './route-module.ts';

function toView(row: SsoDomainRow): SsoDomain {
  return {
    domain: row.domain,
    verificationEmail: row.verification_email,
    verified: row.verified_at !== null,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    verificationExpiresAt: row.verified_at ? null : (row.token_expires_at?.toISOString() ?? null),
  };
}

export function ssoDomainsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const settings = deps.settings;

  router.get(
    '/',
    readInTenantScope(deps, 'sso.read', async (_req, { access: { tenantId }, db }) => {
      const rows = await listSsoDomains(db, tenantId);
      return { items: rows.map(toView) } satisfies SsoDomainList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'sso.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const access = tenantAccessOf(res);
    requireSsoFeature(access.tenant.plan);
    const body = parseBody(SsoDomainRequest, req);
    const owner = await withPlatformScope(deps.dataSource, (db) => findVerifiedDomain(db, body.domain));
    if (owner && owner.tenantId !== access.tenantId)
      throw new ProblemError('conflict', `${body.domain} is verified by another organization already.`, {
        errors: [{ path: 'domain', message: 'Another organization verified this domain.' }],
      });
    const { token, row } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const requested = await requestDomainVerification(db, {
        tenantId: access.tenantId,
        domain: body.domain,
        email: body.verificationEmail,
        ttlMs: settings.sso.domainVerificationTtlMs,
      });
      if (requested.token)
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'sso.domain_requested',
          targetType: 'sso_domain',
          targetId: body.domain,
          after: { domain: body.domain, verificationEmail: body.verificationEmail },
        });
      return requested;
    });
    let mailed = false;
    if (token) {
      const tenant = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
        findTenantById(db, access.tenantId),
      );
      const days = Math.max(1, Math.round(settings.sso.domainVerificationTtlMs / 86_400_000));
      mailed = await deps.mailer
        .send({
          to: body.verificationEmail,
          subject: `Confirm that ${body.domain} belongs to ${tenant?.name ?? access.slug}`,
          text:
            `Hello,\n\n${tenant?.name ?? access.slug} asks to verify the domain ${body.domain} on Atrium, so that ` +
            `people with an @${body.domain} address sign in through its single sign-on.\n\n` +
            `If that is right, open:\n\n${settings.auth.publicUrl}/sso/verify-domain?token=${token}\n\n` +
            `The link works once and expires in ${days} day${days === 1 ? '' : 's'}. If you did not expect this, ignore it.\n`,
        })
        .then(() => true)
        .catch((error: unknown) => {
          deps.logger.warn('Domain verification mail not sent', { domain: body.domain, error });
          return false;
        });
    }
    res.status(row.verified_at ? 200 : 201).json({ domain: toView(row), mailed } satisfies SsoDomainAdded);
  });

  router.delete('/:domain', requireTenantPermission(deps, 'sso.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const { domain } = parseParams(SsoDomainPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const domains = await listSsoDomains(db, access.tenantId);
      const target = domains.find((d) => d.domain === domain);
      if (!target) throw new ProblemError('notFound', `"${access.slug}" has no domain ${domain}.`);
      const connection = await findSsoConnection(db, access.tenantId);
      const otherVerified = domains.filter((d) => d.verified_at && d.domain !== domain).length;
      if (target.verified_at && connection?.sso_required && otherVerified === 0)
        throw new ProblemError(
          'conflict',
          `${domain} is the last verified domain and SSO is required; turn "SSO required" off first.`,
        );
      await deleteSsoDomain(db, access.tenantId, domain);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'sso.domain_removed',
        targetType: 'sso_domain',
        targetId: domain,
        before: { domain, verified: target.verified_at !== null },
      });
    });
    res.status(204).end();
  });

  return router;
}

/** Public: the link in the verification mail is the proof; no sign-in needed. */
export function ssoDomainVerificationRouter(deps: ApiDeps): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const { token } = parseBody(SsoDomainVerificationRequest, req);
    const result = await withPlatformScope(deps.dataSource, async (db) => {
      const verification = await confirmDomainVerification(db, token);
      if (verification.ok)
        await appendAuditEntry(db, {
          tenantId: verification.tenantId,
          actor: { type: 'anonymous', id: null, requestId: String(res.locals.requestId), ip: req.ip ?? null },
          action: 'sso.domain_verified',
          targetType: 'sso_domain',
          targetId: verification.domain,
          after: { domain: verification.domain, verified: true },
        });
      const tenant = verification.ok ? await findTenantById(db, verification.tenantId) : null;
      return { verification, tenant };
    });
    const { verification, tenant } = result;
    if (!verification.ok) {
      switch (verification.reason) {
        case 'unknown':
          throw new ProblemError('badRequest', 'This verification link is not valid; ask for a new one.');
        case 'taken':
          throw new ProblemError('conflict', 'Another organization verified this domain meanwhile.');
        default:
          throw new ProblemError(
            'linkGone',
            verification.reason === 'verified'
              ? 'This domain is verified already.'
              : 'This verification link has expired; ask for a new one in the SSO settings.',
          );
      }
    }
    res.json({
      domain: verification.domain,
      tenant: { slug: tenant?.slug ?? null, name: tenant?.name ?? null },
    } satisfies SsoDomainVerified);
  });
  return router;
}

export const ssoDomainsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/sso/domains': {
    get: {
      operationId: 'listSsoDomains',
      summary: "The tenant's email domains, verified or waiting for verification",
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'The domains.',
          content: { 'application/json': { schema: SsoDomainList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'addSsoDomain',
      summary: 'Add a domain: a verification link goes to an address at it',
      description:
        "Needs the plan's `sso` feature (403 `plan-feature-missing`, naming the plan that has it: enterprise). Listing and removing domains do not.",
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: SsoDomainRequest } } },
      responses: {
        200: {
          description: 'Verified already; nothing mailed.',
          content: { 'application/json': { schema: SsoDomainAdded } },
        },
        201: {
          description: 'Waiting for verification; the link was mailed (`mailed`).',
          content: { 'application/json': { schema: SsoDomainAdded } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/sso/domains/{domain}': {
    delete: {
      operationId: 'removeSsoDomain',
      summary: 'Remove a domain (not the last verified one while SSO is required)',
      requestParams: { path: SsoDomainPath },
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404, 409) },
    },
  },
  '/api/v1/sso/domain-verifications': {
    post: {
      operationId: 'verifySsoDomain',
      summary: 'Confirm a domain with the token from the verification mail',
      requestBody: { content: { 'application/json': { schema: SsoDomainVerificationRequest } } },
      responses: {
        200: {
          description: 'Verified.',
          content: { 'application/json': { schema: SsoDomainVerified } },
        },
        ...problemResponses(400, 409, 410, 422),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const ssoDomainsRoutes: RouteModule = {
  mounts: [
    { path: '/tenants/:slug/sso/domains', router: ssoDomainsRouter },
    { path: '/sso/domain-verifications', router: ssoDomainVerificationRouter },
  ],
  paths: ssoDomainsPaths,
};
