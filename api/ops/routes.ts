// Operator access outside /api/v1, mounted by api/app.ts before the portal: the Temporal UI
// behind sign-in (/ops/temporal/…, api/ops/temporal-ui-proxy.ts) and the JWKS of the operator
// tokens' key (/ops/temporal-jwks.json), which a Temporal server's jwtKeyProvider fetches.
import { Router } from 'express';
import type { TemporalOperatorJwks } from '../../contracts/operators.ts';
import type { ApiDeps } from '../deps.ts';
import { temporalUiProxy } from './temporal-ui-proxy.ts';

export const TEMPORAL_JWKS_PATH = '/ops/temporal-jwks.json';

export function opsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get(TEMPORAL_JWKS_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.ops.temporalTokens.jwks() satisfies TemporalOperatorJwks);
  });
  router.use(temporalUiProxy(deps));
  return router;
}
