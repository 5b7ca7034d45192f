// /api/v1/operators: who may use the Temporal UI behind Atrium (/ops/temporal/), and the
// tokens operators take to a Temporal cluster that checks JWTs.
//   PUT  /operators/:userId              platform admins grant, change or take away a role
//   POST /operators/me/temporal-token    an operator's token, `permissions: ["<namespace>:<read|write>"]`
// Both are audited on the platform chain. The token's key is published at
// /ops/temporal-jwks.json (api/ops/routes.ts), which the Temporal server's jwtKeyProvider reads.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  OperatorUserParams,
  OperatorView,
  SetOperatorRoleRequest,
  TemporalOperatorToken,
} from '../../contracts/operators.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { findUserById, setOperatorRole } from '../../db/repositories/users.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { TEMPORAL_JWKS_PATH } from '../ops/routes.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

export function operatorsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));

  router.post('/me/temporal-token', async (req, res) => {
    const auth = authOf(res);
    const user = await findUserById(deps.dataSource, auth.userId);
    if (!user) throw new ProblemError('unauthenticated', 'The account no longer exists.');
    if (!user.operator_role)
      throw new ProblemError(
        'forbidden',
        'Operator tokens are for operators: ask a platform admin for an operator role.',
      );
    const namespace = deps.temporal.namespace;
    const issued = await deps.ops.temporalTokens.issue(
      { userId: user.id, email: user.email, role: user.operator_role },
      namespace,
    );
    await withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: 'operator.temporal_token_issued',
        targetType: 'user',
        targetId: user.id,
        after: { namespace, permissions: issued.permissions, expiresAt: issued.expiresAt.toISOString() },
      }),
    );
    res.status(201).json({
      tokenType: 'Bearer',
      token: issued.token,
      expiresAt: issued.expiresAt.toISOString(),
      namespace,
      permissions: issued.permissions,
      jwksUrl: `${deps.settings.auth.publicUrl}${TEMPORAL_JWKS_PATH}`,
    } satisfies TemporalOperatorToken);
  });

  router.put('/:userId', async (req, res) => {
    if (!authOf(res).platformAdmin) throw new ProblemError('forbidden', 'Only platform admins grant operator roles.');
    const { userId } = parseParams(OperatorUserParams, req);
    const { role } = parseBody(SetOperatorRoleRequest, req);
    const result = await withPlatformScope(deps.dataSource, async (db) => {
      const changed = await setOperatorRole(db, userId, role);
      if (changed && changed.before !== role)
        await appendAuditEntry(db, {
          tenantId: null,
          actor: actorOf(req, res),
          action: 'user.operator_role_changed',
          targetType: 'user',
          targetId: userId,
          before: { operatorRole: changed.before },
          after: { operatorRole: role },
        });
      return changed;
    });
    if (!result) throw new ProblemError('notFound', 'No such user.');
    const user = (await findUserById(deps.dataSource, userId))!;
    res.json({ userId, email: user.email, role: user.operator_role } satisfies OperatorView);
  });
  return router;
}

export const operatorsPaths: ZodOpenApiPathsObject = {
  '/api/v1/operators/{userId}': {
    put: {
      operationId: 'setOperatorRole',
      summary: "Grant, change or take away (null) a user's operator role (platform admins)",
      description:
        'operator-read may look at every workflow in the Temporal UI at /ops/temporal/; operator-write may also cancel, terminate, signal, update, reset, start, run batch operations and change schedules there.',
      security: [{ bearer: [] }],
      requestParams: { path: OperatorUserParams },
      requestBody: { content: { 'application/json': { schema: SetOperatorRoleRequest } } },
      responses: {
        200: { description: 'The role now.', content: { 'application/json': { schema: OperatorView } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
  '/api/v1/operators/me/temporal-token': {
    post: {
      operationId: 'issueTemporalOperatorToken',
      summary: 'A token for a Temporal cluster that checks JWTs (operators)',
      description:
        'ES256, kid from /ops/temporal-jwks.json, `permissions: ["<namespace>:read"]` for operator-read and `:write` for operator-write: the form the Temporal server\'s default JWT claim mapper reads.',
      security: [{ bearer: [] }],
      responses: {
        201: { description: 'The token.', content: { 'application/json': { schema: TemporalOperatorToken } } },
        ...problemResponses(401, 403),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const operatorsRoutes: RouteModule = routeModule('/operators', operatorsRouter, operatorsPaths);
