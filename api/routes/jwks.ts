// /.well-known/jwks.json: the public keys access tokens are signed with: the next, the current
// and any retiring key of the keyring this process holds (docs/decisions/0030). Cached for
// JWKS_MAX_AGE, which a rotation waits out between publishing a key and signing with it.
import { Router } from 'express';
import type { ApiDeps } from '../deps.ts';

export function jwksRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    const maxAge = Math.floor(deps.settings.signingKeys.jwksMaxAgeMs / 1000);
    res.set('Cache-Control', `public, max-age=${maxAge}`).json(deps.accessTokens.jwks());
  });
  return router;
}
