// POST /api/v1/connectors/callback: what the provider sent to the redirect URI
// (`<PUBLIC_URL>/connectors/callback`, the portal page that posts it here with the member's
// session). The state must be one Atrium issued (only its hash is kept), to this very user, not
// used and not expired; it is used up in the same transaction that finds it, so a replay is
// refused. A code goes to the secret store (the workflow's history gets a signal saying only
// "a code arrived"); an error (`access_denied`, …) goes to the workflow as it is.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ConnectorCallbackAccepted } from '../../contracts/connectors.ts';
import {
  ConnectorCallbackAccepted as ConnectorCallbackAcceptedSchema,
  ConnectorCallbackRequest,
} from '../../contracts/connectors.ts';
import { findAuthorizationByStateHash, markAuthorizationUsed } from '../../db/repositories/connectors.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { stateHash } from '../../integrations/oauth/state.ts';
import type { AuthorizationCallback } from '../../workflows/connectors/contract.ts';
import { authorizationCallbackSignal, connectionSecretPaths } from '../../workflows/connectors/contract.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

const UNKNOWN_STATE =
  'Atrium did not issue this state to you, or its connect has ended; start the connection again from the portal.';

export function connectorCallbackRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));

  router.post('/', async (req, res) => {
    const body = parseBody(ConnectorCallbackRequest, req);
    const auth = authOf(res);
    const accepted = await withPlatformScope(deps.dataSource, async (db) => {
      const authorization = await findAuthorizationByStateHash(db, stateHash(body.state));
      // Forged, another user's, or of a connect that ended: the same answer for each.
      if (!authorization || authorization.user_id !== auth.userId)
        throw new ProblemError('validation', 'The callback cannot be accepted.', {
          errors: [{ path: 'state', message: UNKNOWN_STATE }],
        });
      if (authorization.used_at)
        throw new ProblemError('linkGone', 'This authorization was completed already; each one works once.');
      if (authorization.expires_at.getTime() <= Date.now())
        throw new ProblemError('linkGone', 'This authorization has expired; start the connection again.');
      const tenant = await findTenantById(db, authorization.tenant_id);
      if (!tenant) throw new ProblemError('linkGone', 'The tenant of this authorization no longer exists.');
      await markAuthorizationUsed(db, authorization.tenant_id, authorization.connection_id);

      let signal: AuthorizationCallback;
      if (body.code !== undefined) {
        const query: Record<string, string> = { code: body.code, state: body.state };
        if (body.iss !== undefined) query.iss = body.iss;
        await deps.secretStore.write(connectionSecretPaths(tenant.slug, authorization.connection_id).callback, query);
        signal = { outcome: 'code' };
      } else {
        signal = { outcome: 'error', error: body.error!, description: body.error_description ?? null };
      }
      try {
        await deps.temporal.client.workflow
          .getHandle(authorization.workflow_id)
          .signal(authorizationCallbackSignal, signal);
      } catch (error) {
        deps.logger.warn('The connect workflow did not take the callback', {
          workflowId: authorization.workflow_id,
          error,
        });
        throw new ProblemError(
          'linkGone',
          'This connect has ended (it expired or failed); start the connection again.',
        );
      }
      return { tenant: tenant.slug, connectionId: authorization.connection_id, outcome: signal.outcome };
    });
    deps.logger.info('Connector callback accepted', { connectionId: accepted.connectionId, outcome: accepted.outcome });
    res.status(202).json(accepted satisfies ConnectorCallbackAccepted);
  });

  return router;
}

export const connectorCallbackPaths: ZodOpenApiPathsObject = {
  '/api/v1/connectors/callback': {
    post: {
      operationId: 'completeConnectorAuthorization',
      summary: 'Hand over what the provider sent to the redirect URI (code or error, and the state)',
      description:
        'Called by the portal page at the redirect URI, as the member who started the connect. The state is single use and expires with the connect; a forged or foreign state is a 422 naming `state`, a used or expired one a 410.',
      security: [{ bearer: [] }],
      requestBody: { content: { 'application/json': { schema: ConnectorCallbackRequest } } },
      responses: {
        202: {
          description: 'Handed to the connect workflow; follow the connection for its outcome.',
          content: { 'application/json': { schema: ConnectorCallbackAcceptedSchema } },
        },
        ...problemResponses(400, 401, 410, 422),
      },
    },
  },
};

export const connectorCallbackRoutes: RouteModule = routeModule(
  '/connectors/callback',
  connectorCallbackRouter,
  connectorCallbackPaths,
);
