// /api/v1/tenants: list, read, and create (which starts provisioning). Every route needs
// sign-in: platform admins see and create any tenant; other users see the tenants they
// belong to and may create a tenant that they own themselves.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import { CreateTenantRequest, Tenant, TenantCreated, TenantList, TenantParams } from '../../contracts/tenants.ts';
import type { Tenant as TenantRow } from '../../db/entities/tenant.ts';
import { listTenantRolesOfUser } from '../../db/repositories/memberships.ts';
import { findTenantBySlug, listTenants } from '../../db/repositories/tenants.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { findUserById } from '../../db/repositories/users.ts';
import { addLogContext } from '../../logging/context.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { startTenantProvisioning } from '../starters/provision-tenant.ts';

function toView(row: TenantRow): Tenant {
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

export function tenantsRouter(deps: ApiDeps): Router {
  const router = Router();
  // API keys may read their own tenant (the list shows just it); they never create one.
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', async (_req, res) => {
    const auth = authOf(res);
    const all = await listTenants(deps.dataSource);
    if (auth.apiKey) {
      const own = auth.apiKey.tenantId;
      res.json({ items: all.filter((tenant) => tenant.id === own).map(toView) } satisfies TenantList);
      return;
    }
    if (auth.platformAdmin) {
      res.json({ items: all.map(toView) } satisfies TenantList);
      return;
    }
    const mine = new Set(
      (await withPlatformScope(deps.dataSource, (db) => listTenantRolesOfUser(db, auth.userId))).map(
        (m) => m.tenant_id,
      ),
    );
    res.json({ items: all.filter((tenant) => mine.has(tenant.id)).map(toView) } satisfies TenantList);
  });

  router.get('/:slug', requireTenantPermission(deps, 'tenant.read'), async (req, res) => {
    const { slug } = parseParams(TenantParams, req);
    const tenant = await findTenantBySlug(deps.dataSource, slug);
    if (!tenant) throw new ProblemError('notFound', `No tenant "${slug}".`);
    res.json(toView(tenant));
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
        const started = await startTenantProvisioning(
          {
            client: deps.temporal.client,
            taskQueue: deps.temporal.taskQueue,
            timings: deps.settings.activityTimings,
            approval: deps.settings.approval,
          },
          {
            tenantId,
            ...body,
            requestedBy: { type: 'user', id: auth.userId, requestId: String(res.locals.requestId), ip: req.ip ?? null },
          },
        );
        if (!started.started) throw slugTaken(body.slug);
        deps.logger.info('Tenant provisioning started', { slug: body.slug, workflowId: started.workflowId });
        const operation = startedOperation(
          { workflowId: started.workflowId, runId: started.runId, kind: 'tenant-provision', tenantId },
          { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiUrl },
        );
        const now = operation.startedAt;
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
              createdAt: now,
              updatedAt: now,
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
      summary: 'List tenants',
      responses: {
        200: { description: 'Every tenant, newest first.', content: { 'application/json': { schema: TenantList } } },
        ...problemResponses(401),
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
