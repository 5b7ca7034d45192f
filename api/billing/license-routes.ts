// GET /api/v1/tenants/:slug/license: the tenant's signed license (provisioning issues it, a
// plan change reissues it), to download and verify offline against GET /api/v1/license/jwks.
// `tenant.read`: it states the plan, its features and limits, which every member sees anyway.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { LICENSE_JWKS_PATH, TenantLicenseDocument } from '../../contracts/license.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function tenantLicenseRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (_req, { access, db }): Promise<TenantLicenseDocument> => {
      const [row] = await db.query<
        Array<{ license_id: string; tier: string; key_id: string; issued_at: Date; token: string }>
      >(`SELECT license_id, tier, key_id, issued_at, token FROM tenant_licenses WHERE tenant_id = $1`, [
        access.tenantId,
      ]);
      if (!row)
        throw new ProblemError(
          'notFound',
          `"${access.slug}" has no license yet: provisioning signs one as its last step.`,
        );
      return {
        licenseId: row.license_id,
        tier: row.tier,
        keyId: row.key_id,
        issuedAt: row.issued_at.toISOString(),
        token: row.token,
        jwksUrl: LICENSE_JWKS_PATH,
      };
    }),
  );
  return router;
}

export const tenantLicensePaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/license': {
    get: {
      operationId: 'getTenantLicense',
      summary:
        "The tenant's signed license (a JWT, typ atrium-license+jwt, alg EdDSA); verify it against GET /api/v1/license/jwks",
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The license.', content: { 'application/json': { schema: TenantLicenseDocument } } },
        ...problemResponses(401, 403, 404, 429),
      },
    },
  },
};

export const tenantLicenseRoutes: RouteModule = routeModule(
  '/tenants/:slug/license',
  tenantLicenseRouter,
  tenantLicensePaths,
);
