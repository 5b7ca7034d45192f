// /api/v1/tenants/:slug/sso: the tenant's OpenID Connect provider for single sign-on.
// The client secret goes to the secret store (a new version per change; the row names the
// version it uses, so a change that fails half-way leaves the old one in force) and is
// never returned. Saving checks that the issuer can be discovered.
import { Router } from 'express';
import type { Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { SsoConnection, SsoConnectionRequest, SsoSettings } from '../../contracts/sso.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import type { SsoConnectionRow } from '../../db/repositories/sso.ts';
import {
  deleteSsoConnection,
  findSsoConnection,
  listSsoDomains,
  upsertSsoConnection,
} from '../../db/repositories/sso.ts';
import { withTenantScope } from '../../db/scope.ts';
import { IdentityError } from '../../integrations/identity/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import { requirePlanFeature } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function ssoCallbackUri(deps: ApiDeps): string {
  return `${deps.settings.auth.publicUrl}/sso/callback`;
}

export function ssoClientSecretPath(slug: string): string {
  return `tenants/${slug}/sso/client-secret`;
}

function toView(deps: ApiDeps, row: SsoConnectionRow): SsoConnection {
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecretSet: true,
    defaultRole: row.default_role,
    ssoRequired: row.sso_required,
    enabled: row.enabled,
    redirectUri: ssoCallbackUri(deps),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What is audited of a connection: everything but the secret. */
function audited(row: Omit<SsoConnectionRow, 'created_at' | 'updated_at' | 'tenant_id'>) {
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecretVersion: row.client_secret_version,
    defaultRole: row.default_role,
    ssoRequired: row.sso_required,
    enabled: row.enabled,
  };
}

/** What the sso.connection_changed event says about the connection (never its secret). */
function changedConnection(row: Omit<SsoConnectionRow, 'created_at' | 'updated_at' | 'tenant_id'>) {
  return {
    issuer: row.issuer,
    clientId: row.client_id,
    enabled: row.enabled,
    ssoRequired: row.sso_required,
    defaultRole: row.default_role,
  };
}

/** Single sign-on decides who may become a member: people change it, never API keys. */
export function refuseApiKeyCaller(res: Response): void {
  if (authOf(res).apiKey)
    throw new ProblemError('forbidden', 'API keys cannot change single sign-on; sign in as a person.');
}

/**
 * Configuring single sign-on (the provider, a domain) needs the plan's `sso` feature (403
 * `plan-feature-missing`, naming the plan that has it). Reading and removing stay open, so a
 * tenant whose plan lost it can still see and take down what it had.
 */
export function requireSsoFeature(plan: string): void {
  requirePlanFeature(plan, 'sso', 'single sign-on');
}

export function secretStoreProblem(error: unknown): never {
  if (error instanceof SecretStoreError)
    throw new ProblemError('unavailable', `The secret store refused the change (${error.reason}); try again later.`);
  throw error;
}

export function ssoConnectionRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'sso.read'), async (_req, res) => {
    const { tenantId } = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, tenantId, (db) => findSsoConnection(db, tenantId));
    res.json({ connection: row ? toView(deps, row) : null, redirectUri: ssoCallbackUri(deps) } satisfies SsoSettings);
  });

  router.put('/', requireTenantPermission(deps, 'sso.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const access = tenantAccessOf(res);
    requireSsoFeature(access.tenant.plan);
    const body = parseBody(SsoConnectionRequest, req);
    const current = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findSsoConnection(db, access.tenantId),
    );
    if (!current && body.clientSecret === undefined)
      throw new ProblemError('validation', 'The first configuration needs the client secret.', {
        errors: [{ path: 'clientSecret', message: 'Enter the client secret the provider issued.' }],
      });
    if (body.ssoRequired) {
      const domains = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
        listSsoDomains(db, access.tenantId),
      );
      if (!domains.some((d) => d.verified_at))
        throw new ProblemError('validation', 'Requiring SSO needs a verified email domain first.', {
          errors: [{ path: 'ssoRequired', message: 'Verify a domain, then require SSO.' }],
        });
      // Turning it on from a password session would lock the caller out at once: they must
      // have signed in through this provider (proving it works), unless they are platform staff.
      const auth = authOf(res);
      if (!current?.sso_required && !auth.platformAdmin && auth.ssoTenantId !== access.tenantId)
        throw new ProblemError('validation', 'Sign in through the single sign-on first, then require it.', {
          errors: [
            {
              path: 'ssoRequired',
              message: `Your session did not come through ${access.slug}'s single sign-on; requiring it now would lock you out.`,
            },
          ],
        });
    }
    try {
      await deps.identity.check({ issuer: body.issuer, clientId: body.clientId });
    } catch (error) {
      if (error instanceof IdentityError)
        throw new ProblemError('validation', 'The issuer cannot be used.', {
          errors: [{ path: 'issuer', message: error.message }],
        });
      throw error;
    }
    const path = ssoClientSecretPath(access.slug);
    let secretVersion = current?.client_secret_version ?? 0;
    if (body.clientSecret !== undefined) {
      secretVersion = await deps.secretStore
        .write(path, { clientSecret: body.clientSecret })
        .then((written) => written.version, secretStoreProblem);
    }
    const next = {
      tenant_id: access.tenantId,
      issuer: body.issuer,
      client_id: body.clientId,
      client_secret_path: path,
      client_secret_version: secretVersion,
      default_role: body.defaultRole,
      sso_required: body.ssoRequired,
      enabled: body.enabled,
    };
    const saved = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      await upsertSsoConnection(db, next);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: current ? 'sso.updated' : 'sso.configured',
        targetType: 'sso_connection',
        targetId: access.tenantId,
        before: current ? audited(current) : null,
        after: audited(next),
      });
      await emitEvent(db, access.tenantId, 'sso.connection_changed', {
        change: current ? 'updated' : 'configured',
        ...changedConnection(next),
      });
      return findSsoConnection(db, access.tenantId);
    });
    res.status(current ? 200 : 201).json(toView(deps, saved as SsoConnectionRow));
  });

  router.delete('/', requireTenantPermission(deps, 'sso.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const access = tenantAccessOf(res);
    const removed = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findSsoConnection(db, access.tenantId);
      if (!current) return null;
      await deleteSsoConnection(db, access.tenantId);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'sso.removed',
        targetType: 'sso_connection',
        targetId: access.tenantId,
        before: audited(current),
      });
      await emitEvent(db, access.tenantId, 'sso.connection_changed', {
        change: 'removed',
        ...changedConnection(current),
      });
      return current;
    });
    if (!removed) throw new ProblemError('notFound', `"${access.slug}" has no single sign-on configured.`);
    // The row is gone, so nothing uses the secret any more; a failure here leaves an unused secret.
    await deps.secretStore.destroy(removed.client_secret_path).catch((error: unknown) => {
      deps.logger.warn('SSO client secret not destroyed', { path: removed.client_secret_path, error });
    });
    res.status(204).end();
  });

  return router;
}

export const ssoConnectionPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/sso': {
    get: {
      operationId: 'getSsoConnection',
      summary: "The tenant's single sign-on provider (null when none), and the redirect URI to register",
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The settings.', content: { 'application/json': { schema: SsoSettings } } },
        ...problemResponses(401, 403, 404),
      },
    },
    put: {
      operationId: 'putSsoConnection',
      summary: 'Configure the OpenID Connect provider (the issuer is discovered first)',
      description:
        "Needs the plan's `sso` feature (403 `plan-feature-missing`, naming the plan that has it: enterprise). Reading and removing the connection do not.",
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: SsoConnectionRequest } } },
      responses: {
        200: { description: 'Updated.', content: { 'application/json': { schema: SsoConnection } } },
        201: { description: 'Configured.', content: { 'application/json': { schema: SsoConnection } } },
        ...problemResponses(400, 401, 403, 404, 422, 503),
      },
    },
    delete: {
      operationId: 'deleteSsoConnection',
      summary: 'Remove single sign-on (verified domains stay)',
      requestParams: { path: TenantPath },
      responses: { 204: { description: 'Removed.' }, ...problemResponses(401, 403, 404) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const ssoConnectionRoutes: RouteModule = routeModule(
  '/tenants/:slug/sso',
  ssoConnectionRouter,
  ssoConnectionPaths,
);
