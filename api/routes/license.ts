// /api/v1/license/jwks: the public keys tenant licenses are signed with (EdDSA, Ed25519),
// as a JSON Web Key Set. Public: a license is verified offline by whoever holds it, and
// the keys only verify. The worker records each key the first time it signs with it.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { LicenseJwks } from '../../contracts/license.ts';
import type { ApiDeps } from '../deps.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function licenseRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/jwks', async (_req, res) => {
    const rows = await deps.dataSource.query<Array<{ public_jwk: LicenseJwks['keys'][number] }>>(
      `SELECT public_jwk FROM license_signing_keys ORDER BY created_at, key_id`,
    );
    res
      .set('Cache-Control', `public, max-age=${Math.floor(deps.settings.signingKeys.jwksMaxAgeMs / 1000)}`)
      .json({ keys: rows.map((row) => row.public_jwk) } satisfies LicenseJwks);
  });
  return router;
}

export const licensePaths: ZodOpenApiPathsObject = {
  '/api/v1/license/jwks': {
    get: {
      operationId: 'getLicenseKeys',
      summary: 'The public keys tenant licenses are signed with (JWKS)',
      description:
        'A tenant license is a JWT (typ atrium-license+jwt, alg EdDSA, iss atrium, aud atrium-license) whose kid names one of these keys. No sign-in needed.',
      responses: {
        200: {
          description: 'Every key a license was signed with.',
          content: { 'application/json': { schema: LicenseJwks } },
        },
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const licenseRoutes: RouteModule = routeModule('/license', licenseRouter, licensePaths);
