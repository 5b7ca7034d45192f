// /api/v1/tenants/:slug/releases: the tenant's releases (issue 14, docs/decisions/0023).
//
//   GET  /          the releases, newest first (tenant.read)
//   GET  /:number   one release (tenant.read)
//   POST /          create the next release (releases.manage; the plan's `promotions` feature):
//                   an image by digest, the configuration version, notes. Immutable afterwards.
//                   An Idempotency-Key makes a repeated request answer the same release.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import type { Release, ReleaseList } from '../../contracts/releases.ts';
import {
  CreateReleaseRequest,
  Release as ReleaseSchema,
  ReleaseList as ReleaseListSchema,
  ReleasePath,
} from '../../contracts/releases.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { ReleaseRow } from '../../db/repositories/releases.ts';
import { findRelease, insertRelease, listReleases } from '../../db/repositories/releases.ts';
import { withTenantScope } from '../../db/scope.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function toReleaseView(row: ReleaseRow): Release {
  return {
    number: row.number,
    image: row.image,
    configurationVersion: row.configuration_version,
    notes: row.notes,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** Releases and promotions need the plan's `promotions` feature (team and enterprise). */
export function requirePromotionsFeature(access: Pick<TenantAccess, 'tenant'>): void {
  if (!planDefinition(access.tenant.plan).features.includes('promotions'))
    throw new ProblemError(
      'planFeatureMissing',
      `The ${access.tenant.plan} plan does not include releases and promotions (the promotions feature).`,
    );
}

export function releasesRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };

  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (_req, { access, db }) => {
      const rows = await listReleases(db, access.tenantId);
      return { items: rows.map(toReleaseView) } satisfies ReleaseList;
    }),
  );

  router.get(
    '/:number',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }) => {
      const { number } = parseParams(ReleasePath, req);
      const row = await findRelease(db, access.tenantId, number);
      if (!row) throw new ProblemError('notFound', `No release ${number} in this tenant.`);
      return toReleaseView(row) satisfies Release;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'releases.manage'), async (req, res) => {
    const access = tenantAccessOf(res);
    requirePromotionsFeature(access);
    const body = parseBody(CreateReleaseRequest, req);
    const auth = authOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const row = await insertRelease(db, {
          tenant_id: access.tenantId,
          image: body.image,
          configuration_version: body.configurationVersion ?? null,
          notes: body.notes ?? '',
          created_by: auth.apiKey ? null : auth.userId,
        });
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'release.created',
          targetType: 'release',
          targetId: String(row.number),
          after: { image: row.image, configurationVersion: row.configuration_version },
        });
        return row;
      });
      deps.logger.info('Release created', { tenantId: access.tenantId, number: row.number });
      return {
        status: 201,
        headers: { Location: `/api/v1/tenants/${access.slug}/releases/${row.number}` },
        body: toReleaseView(row) satisfies Release,
      };
    });
  });

  return router;
}

export const releasesPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/releases': {
    get: {
      operationId: 'listReleases',
      summary: "The tenant's releases, newest first",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The releases.', content: { 'application/json': { schema: ReleaseListSchema } } },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createRelease',
      summary: 'Create the next release (an image by digest)',
      description:
        "Needs the plan's `promotions` feature (403 `plan-feature-missing`). The image must be pinned by digest (`name@sha256:<64 hex>`, 422 on `image`). Releases are numbered per tenant and never change.",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: CreateReleaseRequest } } },
      responses: {
        201: { description: 'The release.', content: { 'application/json': { schema: ReleaseSchema } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/releases/{number}': {
    get: {
      operationId: 'getRelease',
      summary: 'One release',
      security: [{ bearer: [] }],
      requestParams: { path: ReleasePath },
      responses: {
        200: { description: 'The release.', content: { 'application/json': { schema: ReleaseSchema } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
};

export const releasesRoutes: RouteModule = routeModule('/tenants/:slug/releases', releasesRouter, releasesPaths);
