// Requires a valid access token (`Authorization: Bearer <jwt>`) and puts its claims in
// res.locals.auth. Routes of one tenant may also accept an API key (`Bearer atr_…`), which
// acts with the key's role in the key's tenant only. Anything else is a 401 problem that
// says what was wrong.
import type { RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { addLogContext } from '../../logging/context.ts';
import { ProblemError } from '../http/problem.ts';
import type { AccessTokenClaims, AccessTokens } from './access-tokens.ts';
import { InvalidAccessTokenError } from './access-tokens.ts';
import type { ApiKeyIdentity } from './api-keys.ts';
import { InvalidApiKeyError, looksLikeApiKey, verifyApiKey } from './api-keys.ts';

/** Who is calling: a signed-in user, or an API key (then `userId` is the key's id). */
export interface AuthContext extends AccessTokenClaims {
  apiKey?: ApiKeyIdentity;
}

export interface RequireAuthOptions {
  /** Accept API keys (tenant routes only): the database to check them against. */
  apiKeys?: DataSource;
}

export function requireAuth(tokens: AccessTokens, options: RequireAuthOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const bearer = header?.match(/^Bearer (\S+)$/)?.[1];
    // A request can pass several routers on its way (every module mounted on a prefix of its
    // path runs its own requireAuth): check the credential once per request, not once per router.
    const checked = res.locals.auth as AuthContext | undefined;
    if (checked && bearer !== undefined && res.locals.authBearer === bearer) {
      if (checked.apiKey && !options.apiKeys)
        throw unauthenticated('API keys work on the routes of their tenant (/api/v1/tenants/<slug>/…) only.');
      next();
      return;
    }
    if (bearer && looksLikeApiKey(bearer)) {
      if (!options.apiKeys)
        throw unauthenticated('API keys work on the routes of their tenant (/api/v1/tenants/<slug>/…) only.');
      try {
        const apiKey = await verifyApiKey(options.apiKeys, bearer);
        res.locals.auth = { userId: apiKey.id, platformAdmin: false, apiKey } satisfies AuthContext;
        res.locals.authBearer = bearer;
        addLogContext({ apiKeyId: apiKey.id, tenantId: apiKey.tenantId });
      } catch (error) {
        if (error instanceof InvalidApiKeyError) throw unauthenticated(`The API key was refused: ${error.message}.`);
        throw error;
      }
      next();
      return;
    }
    if (!bearer || !/^[\w-]+\.[\w-]*\.[\w-]*$/.test(bearer))
      throw unauthenticated('Send an access token as "Authorization: Bearer <token>".');
    try {
      const claims = await tokens.verify(bearer);
      res.locals.auth = claims satisfies AuthContext;
      res.locals.authBearer = bearer;
      addLogContext({ userId: claims.userId });
    } catch (error) {
      if (error instanceof InvalidAccessTokenError)
        throw unauthenticated(`The access token was refused: ${error.message}.`);
      throw error;
    }
    next();
  };
}

export function authOf(res: Response): AuthContext {
  return res.locals.auth as AuthContext;
}

/** The audit log's actor for this request: the user, or the API key. */
export function actorOf(req: { ip?: string | undefined }, res: Response) {
  const auth = authOf(res);
  return {
    type: auth.apiKey ? ('api_key' as const) : ('user' as const),
    id: auth.userId,
    requestId: String(res.locals.requestId),
    ip: req.ip ?? null,
  };
}

function unauthenticated(detail: string): ProblemError {
  return new ProblemError('unauthenticated', detail, {
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });
}
