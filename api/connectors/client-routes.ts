// /api/v1/connector-clients: platform admins set the client id and secret Atrium uses at each
// catalog provider. The secret goes to the secret store (`platform/connectors/<provider>/client`)
// and is never stored in PostgreSQL nor returned; the answer says whether one is set.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ProviderClient, ProviderClientList } from '../../contracts/connectors.ts';
import {
  CatalogProviderPath,
  ProviderClient as ProviderClientSchema,
  ProviderClientList as ProviderClientListSchema,
  SetProviderClientRequest,
} from '../../contracts/connectors.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { ProviderClientRow } from '../../db/repositories/connectors.ts';
import { listProviderClients, upsertProviderClient } from '../../db/repositories/connectors.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { loadProviderCatalog } from '../../integrations/oauth/catalog.ts';
import type { CatalogProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import { providerClientSecretPath } from '../../workflows/connectors/contract.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

export function connectorClientsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));
  const catalog = loadProviderCatalog();
  const redirectUri = deps.settings.connectors.redirectUri;

  router.use((_req, res, next) => {
    const auth = authOf(res);
    if (!auth.platformAdmin || auth.apiKey)
      throw new ProblemError('forbidden', "Only platform admins manage the catalog providers' clients.");
    next();
  });

  const view = (definition: CatalogProviderDefinition, row: ProviderClientRow | undefined): ProviderClient => ({
    provider: definition.id,
    name: definition.name,
    configured: row !== undefined,
    clientId: row?.client_id ?? null,
    updatedAt: row?.updated_at.toISOString() ?? null,
    redirectUri,
    documentationUrl: definition.documentationUrl,
  });

  router.get('/', async (_req, res) => {
    const rows = new Map(
      (await withPlatformScope(deps.dataSource, (db) => listProviderClients(db))).map((row) => [row.provider, row]),
    );
    res.json({
      items: [...catalog.values()].map((definition) => view(definition, rows.get(definition.id))),
    } satisfies ProviderClientList);
  });

  router.put('/:providerId', async (req, res) => {
    const { providerId } = parseParams(CatalogProviderPath, req);
    const body = parseBody(SetProviderClientRequest, req);
    const definition = catalog.get(providerId);
    if (!definition) throw new ProblemError('notFound', `There is no catalog provider "${providerId}".`);
    const secretPath = providerClientSecretPath(providerId);
    // The secret first: a row never points at a secret that is not there.
    await deps.secretStore.write(secretPath, { clientSecret: body.clientSecret });
    const row = await withPlatformScope(deps.dataSource, async (db) => {
      const { created } = await upsertProviderClient(db, {
        provider: providerId,
        client_id: body.clientId,
        secret_path: secretPath,
        updated_by: authOf(res).userId,
      });
      await appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: created ? 'connector_client.created' : 'connector_client.updated',
        targetType: 'connector_provider',
        targetId: providerId,
        after: { clientId: body.clientId },
      });
      return (await listProviderClients(db)).find((r) => r.provider === providerId);
    });
    res.json(view(definition, row) satisfies ProviderClient);
  });

  return router;
}

export const connectorClientsPaths: ZodOpenApiPathsObject = {
  '/api/v1/connector-clients': {
    get: {
      operationId: 'listConnectorClients',
      summary: "Each catalog provider's client, as set by platform admins (never the secret)",
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'The catalog providers.',
          content: { 'application/json': { schema: ProviderClientListSchema } },
        },
        ...problemResponses(401, 403),
      },
    },
  },
  '/api/v1/connector-clients/{providerId}': {
    put: {
      operationId: 'setConnectorClient',
      summary: "Set a catalog provider's client id and secret (platform admins)",
      description: 'The secret goes to the secret store only; it is never stored in PostgreSQL nor returned.',
      security: [{ bearer: [] }],
      requestParams: { path: CatalogProviderPath },
      requestBody: { content: { 'application/json': { schema: SetProviderClientRequest } } },
      responses: {
        200: { description: 'Set.', content: { 'application/json': { schema: ProviderClientSchema } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
};

export const connectorClientsRoutes: RouteModule = routeModule(
  '/connector-clients',
  connectorClientsRouter,
  connectorClientsPaths,
);
