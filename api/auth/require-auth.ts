// Requires a valid access token (`Authorization: Bearer <jwt>`) and puts its claims in
// res.locals.auth. Routes of one tenant may also accept an API key (`Bearer atr_…`), which
// acts with the key's role in the key's tenant only. Anything else is a 401 problem that
// says what was wrong.
import type { Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { ApiKeyCredentials } from '../../db/repositories/api-keys.ts';
import { findApiKeyByPrefix } from '../../db/repositories/api-keys.ts';
import { addLogContext } from '../../logging/context.ts';
import { ProblemError } from '../http/problem.ts';
import type { AccessTokenClaims, AccessTokens } from './access-tokens.ts';
import { InvalidAccessTokenError } from './access-tokens.ts';
import type { ApiKeyIdentity, PresentedApiKey } from './api-keys.ts';
import { acceptApiKey, InvalidApiKeyError, looksLikeApiKey, presentApiKey, recordApiKeyUse } from './api-keys.ts';

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
    const deferred = res.locals.deferredApiKey as PresentedApiKey | undefined;
    if ((checked || deferred) && bearer !== undefined && res.locals.authBearer === bearer) {
      if ((checked?.apiKey || deferred) && !options.apiKeys)
        throw unauthenticated('API keys work on the routes of their tenant (/api/v1/tenants/<slug>/…) only.');
      if (deferred && !onTenantRoute(req)) await settleDeferredApiKey(res, options.apiKeys!);
      next();
      return;
    }
    if (bearer && looksLikeApiKey(bearer)) {
      if (!options.apiKeys)
        throw unauthenticated('API keys work on the routes of their tenant (/api/v1/tenants/<slug>/…) only.');
      const presented = refuseInvalidKey(() => presentApiKey(bearer));
      res.locals.authBearer = bearer;
      // On a tenant's route the tenant check looks the key up in its own statement (one trip to
      // PostgreSQL fewer; api/auth/tenant-access.ts). Until then the request has no identity:
      // authOf refuses to answer, so no handler can act on an unchecked key.
      res.locals.deferredApiKey = presented;
      if (!onTenantRoute(req)) await settleDeferredApiKey(res, options.apiKeys);
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

/** Routes under /tenants/:slug, where the tenant check settles a deferred API key. */
function onTenantRoute(req: Request): boolean {
  return typeof req.params.slug === 'string';
}

/** The API key presented on this request and not yet looked up (see requireAuth). */
export function deferredApiKeyOf(res: Response): PresentedApiKey | undefined {
  return res.locals.auth ? undefined : (res.locals.deferredApiKey as PresentedApiKey | undefined);
}

/**
 * Settles the deferred API key with its stored credentials (read by the caller, null when there
 * are none): the request acts as the key from now on, or is refused with a 401. The caller
 * records the key's use (recordApiKeyUse) once it holds no connection of the pool.
 */
export function acceptDeferredApiKey(res: Response, stored: ApiKeyCredentials | null): AuthContext {
  const presented = res.locals.deferredApiKey as PresentedApiKey;
  const apiKey = refuseInvalidKey(() => acceptApiKey(presented, stored));
  const auth: AuthContext = { userId: apiKey.id, platformAdmin: false, apiKey };
  res.locals.auth = auth;
  addLogContext({ apiKeyId: apiKey.id, tenantId: apiKey.tenantId });
  return auth;
}

/** Looks the deferred key up on its own (a route that is not a tenant's, or a request refused before the tenant check). */
export async function settleDeferredApiKey(res: Response, dataSource: DataSource): Promise<void> {
  const presented = deferredApiKeyOf(res);
  if (!presented) return;
  const stored = await findApiKeyByPrefix(dataSource, presented.prefix);
  acceptDeferredApiKey(res, stored);
  await recordApiKeyUse(dataSource, stored!);
}

function refuseInvalidKey<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidApiKeyError) throw unauthenticated(`The API key was refused: ${error.message}.`);
    throw error;
  }
}

export function authOf(res: Response): AuthContext {
  const auth = res.locals.auth as AuthContext | undefined;
  if (!auth && res.locals.deferredApiKey)
    throw new Error(
      'This handler asked who is calling before the tenant check looked the API key up: put requireTenantPermission or readInTenantScope first.',
    );
  return auth as AuthContext;
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
