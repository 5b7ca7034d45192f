// /api/v1/tenants: list, read, and create (which starts provisioning). Every route needs
// sign-in: platform admins see and create any tenant; other users see the tenants they
// belong to and may create a tenant that they own themselves; an API key sees its own.
// The list is filtered and paged in SQL (newest first, keyset cursor).
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import {
  CreateTenantRequest,
  Tenant,
  TenantCreated,
  TenantListQuery,
  TenantPage,
  TenantParams,
} from '../../contracts/tenants.ts';
import type { Tenant as TenantRow } from '../../db/entities/tenant.ts';
import type { TenantPosition } from '../../db/repositories/tenants.ts';
import { findTenantBySlug, listTenantsPage } from '../../db/repositories/tenants.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import { findUserById } from '../../db/repositories/users.ts';
import { addLogContext } from '../../logging/context.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseQuery } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { startTenantProvisioning } from '../tenant-provisioning/starter.ts';
import type { RouteModule } from './route-module.ts';

type TenantViewRow = Pick<
  TenantRow,
  'id' | 'slug' | 'name' | 'plan' | 'status' | 'failureReason' | 'approvalStatus' | 'createdAt' | 'updatedAt'
>;

function toView(row: TenantViewRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    plan: row.plan,
    status: row.status,
    failureReason: row.failureReason,
    approvalStatus: row.approvalStatus,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The cursor is the last tenant's position, made opaque so clients do not build their own. */
const encodeCursor = (position: TenantPosition) =>
  Buffer.from(`t:${position.createdMicros}:${position.id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): TenantPosition {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^t:(\d{1,16}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(decoded);
  if (!match)
    throw new ProblemError('validation', 'The cursor is not one this API handed out.', {
      errors: [{ path: 'cursor', message: 'Pass the nextCursor of a previous page unchanged.' }],
    });
  return { createdMicros: match[1] as string, id: match[2] as string };
}

/**
 * One tenant, at /tenants/:slug: mounted there (not as /:slug of the list's router) so that the
 * slug is known when the credential is checked, and an API key is looked up by the access
 * check's own statement (api/auth/require-auth.ts). Sign-in is required on this route only;
 * other paths under /tenants/:slug belong to other modules.
 */
export function tenantRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  // The access check has just read the tenant (in the same statement as the caller's role).
  router.get(
    '/',
    requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }),
    requireTenantPermission(deps, 'tenant.read'),
    (_req, res) => {
      res.json(toView(tenantAccessOf(res).tenant));
    },
  );
  return router;
}

export function tenantsRouter(deps: ApiDeps): Router {
  const router = Router();
  // API keys may read their own tenant (the list shows just it); they never create one.
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', async (req, res) => {
    const auth = authOf(res);
    const query = parseQuery(TenantListQuery, req);
    // One row more than asked tells whether another page follows.
    const page = {
      status: query.status,
      prefix: query.q,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: query.limit + 1,
    };
    const rows = auth.apiKey
      ? await withTenantScope(deps.dataSource, auth.apiKey.tenantId, (db) =>
          listTenantsPage(db, { kind: 'scopedTenant' }, page),
        )
      : await withPlatformScope(deps.dataSource, (db) =>
          listTenantsPage(
            db,
            auth.platformAdmin ? { kind: 'platform' } : { kind: 'member', userId: auth.userId },
            page,
          ),
        );
    const shown = rows.slice(0, query.limit);
    const last = shown.at(-1);
    res.json({
      items: shown.map((row) => toView(row.tenant)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.position) : null,
    } satisfies TenantPage);
  });

  router.post('/', async (req, res) => {
    const auth = authOf(res);
    if (auth.apiKey) throw new ProblemError('forbidden', 'API keys cannot create tenants; sign in as a person.');
    const body = parseBody(CreateTenantRequest, req);
    if (!auth.platformAdmin) {
      const caller = await findUserById(deps.dataSource, auth.userId);
      if (caller && !caller.email_verified_at)
        throw new ProblemError(
          'forbidden',
          'Verify your email address before creating a tenant (see the mail Atrium sent).',
        );
      if (caller?.email.toLowerCase() !== body.ownerEmail.toLowerCase())
        throw new ProblemError('forbidden', 'Only platform admins create tenants for someone else.', {
          errors: [{ path: 'ownerEmail', message: 'Must be your own email address.' }],
        });
    }
    await respondIdempotently(
      req,
      res,
      { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs },
      async () => {
        const existing = await findTenantBySlug(deps.dataSource, body.slug);
        if (existing) throw slugTaken(body.slug);
        const tenantId = randomUUID();
        addLogContext({ tenantId });
        // The record step stores this as the row's creation time, so the 202 below carries
        // the stored value without waiting for the row (which a busy worker writes later).
        const requestedAt = new Date().toISOString();
        const started = await startTenantProvisioning(
          {
            client: deps.temporal.client,
            taskQueuePrefix: deps.temporal.taskQueuePrefix,
            timings: deps.settings.activityTimings,
            approval: deps.settings.approval,
          },
          {
            tenantId,
            ...body,
            requestedBy: { type: 'user', id: auth.userId, requestId: String(res.locals.requestId), ip: req.ip ?? null },
            requestedAt,
          },
        );
        if (!started.started) throw slugTaken(body.slug);
        deps.logger.info('Tenant provisioning started', { slug: body.slug, workflowId: started.workflowId });
        const operation = startedOperation(
          { workflowId: started.workflowId, runId: started.runId, kind: 'tenant-provision', tenantId },
          { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
        );
        return {
          status: 202,
          headers: { Location: operation.links.self },
          body: {
            tenant: {
              id: tenantId,
              slug: body.slug,
              name: body.name,
              plan: body.plan,
              status: 'pending',
              failureReason: null,
              approvalStatus: deps.settings.approval.plans.includes(body.plan) ? 'pending' : null,
              createdAt: requestedAt,
              updatedAt: requestedAt,
            },
            operation,
          } satisfies TenantCreated,
        };
      },
    );
  });

  return router;
}

function slugTaken(slug: string): ProblemError {
  return new ProblemError('conflict', `The slug "${slug}" is already taken; choose another.`, {
    errors: [{ path: 'slug', message: 'This slug is already taken.' }],
  });
}

export const tenantsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants': {
    get: {
      operationId: 'listTenants',
      summary: 'List the tenants the caller may see, newest first, one page at a time',
      description:
        'Platform admins see every tenant, other users the tenants they belong to, an API key its own tenant. Filter by `status` and by the start of the slug or name (`q`); follow `nextCursor` for the next page.',
      requestParams: { query: TenantListQuery },
      responses: {
        200: { description: 'A page of tenants.', content: { 'application/json': { schema: TenantPage } } },
        ...problemResponses(401, 422),
      },
    },
    post: {
      operationId: 'createTenant',
      summary: 'Create a tenant and start provisioning it',
      description:
        'Returns 202 with the provisioning operation. Send an Idempotency-Key header to make retries safe: a repeat with the same key and body returns the first response.',
      requestParams: { header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: CreateTenantRequest } } },
      responses: {
        202: {
          description: 'Provisioning started.',
          content: { 'application/json': { schema: TenantCreated } },
        },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}': {
    get: {
      operationId: 'getTenant',
      summary: 'Read one tenant',
      requestParams: { path: TenantParams },
      responses: {
        200: { description: 'The tenant.', content: { 'application/json': { schema: Tenant } } },
        ...problemResponses(401, 404, 422),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const tenantsRoutes: RouteModule = {
  mounts: [
    { path: '/tenants', router: tenantsRouter },
    { path: '/tenants/:slug', router: tenantRouter },
  ],
  paths: tenantsPaths,
};
