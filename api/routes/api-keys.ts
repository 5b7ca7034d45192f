// /api/v1/tenants/:slug/api-keys: a tenant's API keys. A key is shown once, when created;
// afterwards only its prefix, name, role and usage. A key's role may not exceed its
// creator's, and keys cannot create or revoke keys (a leaked key must not mint more).
import { Router } from 'express';
import type { Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiKey } from '../../contracts/api-keys.ts';
import {
  API_KEY_MAX_LIFETIME_DAYS,
  ApiKeyList,
  ApiKeyPath,
  CreateApiKeyRequest,
  CreatedApiKey,
} from '../../contracts/api-keys.ts';
import { TenantPath } from '../../contracts/common.ts';
import type { ApiKeyRow } from '../../db/repositories/api-keys.ts';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey } from '../../db/repositories/api-keys.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { countUsableApiKeys } from '../../db/repositories/plan-usage.ts';
import { withTenantScope } from '../../db/scope.ts';
import { generateApiKey } from '../auth/api-keys.ts';
import { ROLE_RANK } from '../auth/permissions.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import { lockPlanLimit, refuseOverPlanLimit } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

const MAX_LIFETIME_DAYS = API_KEY_MAX_LIFETIME_DAYS;

function toView(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    createdBy: row.created_by_email,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

function refuseApiKeyCaller(res: Response): void {
  if (authOf(res).apiKey)
    throw new ProblemError('forbidden', 'API keys cannot create or revoke API keys; sign in as a person.');
}

export function apiKeysRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'apikeys.read', async (_req, { access: { tenantId }, db }) => {
      const rows = await listApiKeys(db, tenantId);
      return { items: rows.map(toView) } satisfies ApiKeyList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'apikeys.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const body = parseBody(CreateApiKeyRequest, req);
    const access = tenantAccessOf(res);
    if (ROLE_RANK[body.role] > ROLE_RANK[access.role])
      throw new ProblemError(
        'forbidden',
        `Your role "${access.role}" cannot create a key with the role "${body.role}".`,
        {
          errors: [{ path: 'role', message: `Choose ${access.role} or a lesser role.` }],
        },
      );
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (
      expiresAt &&
      (expiresAt.getTime() <= Date.now() || expiresAt.getTime() > Date.now() + MAX_LIFETIME_DAYS * 86_400_000)
    )
      throw new ProblemError('validation', 'The expiry is out of range.', {
        errors: [{ path: 'expiresAt', message: `Must be in the future and at most ${MAX_LIFETIME_DAYS} days ahead.` }],
      });
    const generated = generateApiKey();
    const created = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      await lockPlanLimit(db, access.tenantId, 'apiKeys');
      refuseOverPlanLimit(access.tenant.plan, 'apiKeys', await countUsableApiKeys(db, access.tenantId), {
        path: 'name',
        counted: 'are active',
      });
      const id = await insertApiKey(db, {
        tenantId: access.tenantId,
        name: body.name,
        prefix: generated.prefix,
        secretHash: generated.secretHash,
        role: body.role,
        createdBy: authOf(res).userId,
        expiresAt,
      });
      if (!id)
        throw new ProblemError('conflict', `An active API key named "${body.name}" exists already.`, {
          errors: [{ path: 'name', message: 'Choose a name no active key has.' }],
        });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: id,
        after: {
          name: body.name,
          prefix: generated.prefix,
          role: body.role,
          expiresAt: expiresAt?.toISOString() ?? null,
        },
      });
      await emitEvent(db, access.tenantId, 'api_key.created', {
        apiKeyId: id,
        name: body.name,
        prefix: generated.prefix,
        role: body.role,
        expiresAt: expiresAt?.toISOString() ?? null,
      });
      return (await findApiKey(db, access.tenantId, id))!;
    });
    deps.logger.info('API key created', { apiKeyId: created.id, prefix: created.prefix });
    res.status(201).json({ apiKey: toView(created), key: generated.key } satisfies CreatedApiKey);
  });

  router.delete('/:keyId', requireTenantPermission(deps, 'apikeys.manage'), async (req, res) => {
    refuseApiKeyCaller(res);
    const { keyId } = parseParams(ApiKeyPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const key = await findApiKey(db, access.tenantId, keyId);
      if (!key) throw new ProblemError('notFound', `No API key ${keyId} in this tenant.`);
      if (!(await revokeApiKey(db, keyId, authOf(res).userId))) return; // revoked already: nothing changes
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'api_key.revoked',
        targetType: 'api_key',
        targetId: keyId,
        before: { name: key.name, prefix: key.prefix, role: key.role },
      });
      await emitEvent(db, access.tenantId, 'api_key.revoked', {
        apiKeyId: keyId,
        name: key.name,
        prefix: key.prefix,
        role: key.role,
      });
    });
    res.status(204).end();
  });

  return router;
}

export const apiKeysPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/api-keys': {
    get: {
      operationId: 'listApiKeys',
      summary: "List the tenant's API keys (never the keys themselves)",
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'Every key, newest first, revoked ones included.',
          content: { 'application/json': { schema: ApiKeyList } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createApiKey',
      summary: 'Create an API key; the response holds the key, shown this once',
      description: "Use it as `Authorization: Bearer <key>` on this tenant's routes. Its role may not exceed yours.",
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: CreateApiKeyRequest } } },
      responses: {
        201: { description: 'The key.', content: { 'application/json': { schema: CreatedApiKey } } },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/api-keys/{keyId}': {
    delete: {
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key (it stops working at once; the record stays)',
      requestParams: { path: ApiKeyPath },
      responses: { 204: { description: 'Revoked.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const apiKeysRoutes: RouteModule = routeModule('/tenants/:slug/api-keys', apiKeysRouter, apiKeysPaths);
