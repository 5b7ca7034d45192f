// Requires a valid access token (`Authorization: Bearer <jwt>`) and puts its claims in
// res.locals.auth. Anything else is a 401 problem that says what was wrong.
import type { RequestHandler, Response } from 'express';
import { addLogContext } from '../../logging/context.ts';
import { ProblemError } from '../http/problem.ts';
import type { AccessTokenClaims, AccessTokens } from './access-tokens.ts';
import { InvalidAccessTokenError } from './access-tokens.ts';

export function requireAuth(tokens: AccessTokens): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const match = header?.match(/^Bearer ([\w-]+\.[\w-]*\.[\w-]*)$/);
    if (!match) throw unauthenticated('Send an access token as "Authorization: Bearer <token>".');
    try {
      const claims = await tokens.verify(match[1] as string);
      res.locals.auth = claims;
      addLogContext({ userId: claims.userId });
    } catch (error) {
      if (error instanceof InvalidAccessTokenError)
        throw unauthenticated(`The access token was refused: ${error.message}.`);
      throw error;
    }
    next();
  };
}

export function authOf(res: Response): AccessTokenClaims {
  return res.locals.auth as AccessTokenClaims;
}

function unauthenticated(detail: string): ProblemError {
  return new ProblemError('unauthenticated', detail, {
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });
}
