// /.well-known/jwks.json: the public keys access tokens are signed with.
import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';

export function jwksRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(deps.accessTokens.jwks());
  });
  return router;
}
