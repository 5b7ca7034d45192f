// /api/v1/me: the signed-in user.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { findUserById } from '../../db/repositories/users.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';
import { toUserView, UserSchema } from './auth.ts';
import { problemResponses } from './schemas.ts';

export function meRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/', requireAuth(deps.accessTokens), async (_req, res) => {
    const user = await findUserById(deps.dataSource, authOf(res).userId);
    if (!user) throw new ProblemError('unauthenticated', 'The account no longer exists.');
    res.json(toUserView(user));
  });
  return router;
}

export const mePaths: ZodOpenApiPathsObject = {
  '/api/v1/me': {
    get: {
      operationId: 'getMe',
      summary: 'The signed-in user',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'The user.', content: { 'application/json': { schema: UserSchema } } },
        ...problemResponses(401),
      },
    },
  },
};
