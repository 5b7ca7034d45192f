// GET /api/v1/tenants/:slug/resources: what Atrium runs for a tenant — what provisioning
// built (database role, secret policy, billing ids, namespaces), its license, its approval
// and its suspensions. For platform admins (the admin console's tenant page).
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { TenantResources } from '../../contracts/tenant-resources.ts';
import { listSuspensions } from '../../db/repositories/tenant-suspensions.ts';
import { readTenantResources } from '../../db/repositories/tenant-resources.ts';
import { withTenantScope } from '../../db/scope.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { problemResponses } from '../http/problem.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function tenantResourcesRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens));

  router.get('/', requireTenantPermission(deps, 'tenant.lifecycle'), async (_req, res) => {
    const { tenantId } = tenantAccessOf(res);
    const view = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const resources = await readTenantResources(db, tenantId);
      const [license] = await db.query<Array<{ license_id: string; tier: string; issued_at: Date }>>(
        `SELECT license_id, tier, issued_at FROM tenant_licenses WHERE tenant_id = $1`,
        [tenantId],
      );
      const suspensions = await listSuspensions(db, tenantId);
      return {
        ...resources,
        welcomeSentAt: resources.welcomeSentAt?.toISOString() ?? null,
        license: license
          ? { licenseId: license.license_id, tier: license.tier, issuedAt: license.issued_at.toISOString() }
          : null,
        suspensions: suspensions.map((s) => ({
          number: s.number,
          reason: s.reason,
          suspendedAt: s.suspended_at?.toISOString() ?? null,
          reactivatedAt: s.reactivated_at?.toISOString() ?? null,
          sessionsRevoked: s.sessions_revoked,
          workloadsScaledDown: s.workloads?.length ?? null,
        })),
      };
    });
    res.json(view satisfies TenantResources);
  });

  return router;
}

export const tenantResourcesPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/resources': {
    get: {
      operationId: 'getTenantResources',
      summary: 'What Atrium runs for the tenant: provisioned resources, license, suspensions (platform admins)',
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The resources.', content: { 'application/json': { schema: TenantResources } } },
        ...problemResponses(401, 403, 404),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const tenantResourcesRoutes: RouteModule = routeModule(
  '/tenants/:slug/resources',
  tenantResourcesRouter,
  tenantResourcesPaths,
);
