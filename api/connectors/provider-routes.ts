// /api/v1/tenants/:slug/connectors/providers: what the tenant can connect.
//
//   GET  /   the catalog (with whether each is configured and allowed by the plan) and the
//            tenant's own providers, plus the plan's `connectors` limit and how much of it is used
//   POST /   define the tenant's own OAuth 2.0 / OpenID Connect provider with its own client: an
//            issuer is discovered through the outbound guard; every endpoint must pass the guard
//            (no loopback, private or metadata addresses); the client secret goes to the secret store
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { ConnectorProvider, ConnectorProviderList } from '../../contracts/connectors.ts';
import {
  ConnectorProvider as ConnectorProviderSchema,
  ConnectorProviderList as ConnectorProviderListSchema,
  CreateCustomProviderRequest,
} from '../../contracts/connectors.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { countLiveConnections, insertCustomProvider } from '../../db/repositories/connectors.ts';
import { withTenantScope } from '../../db/scope.ts';
import { loadProviderCatalog } from '../../integrations/oauth/catalog.ts';
import type { ProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import {
  definitionUrls,
  ProviderDefinition as ProviderDefinitionSchema,
} from '../../integrations/oauth/provider-definition.ts';
import { findOutboundRefusal } from '../../integrations/outbound/refused.ts';
import { customProviderSecretPath } from '../../workflows/connectors/contract.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { planAllows, providersFor } from './providers.ts';

function invalid(path: string, message: string): ProblemError {
  return new ProblemError('validation', 'The provider cannot be used; see `errors`.', { errors: [{ path, message }] });
}

interface Discovered {
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  revocation_endpoint?: string;
  code_challenge_methods_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

export function connectorProvidersRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const catalog = loadProviderCatalog();
  const { allowInsecureProviders } = deps.settings.connectors;

  /** https (http only where allowed), and an address the outbound guard lets through. */
  async function checkUrl(field: string, value: string): Promise<void> {
    const url = new URL(value);
    if (url.protocol !== 'https:' && !allowInsecureProviders)
      throw invalid(field, 'Must be an https:// URL: tokens travel through it.');
    try {
      await deps.outboundGuard.resolve(url.hostname);
    } catch (error) {
      const refusal = findOutboundRefusal(error);
      throw invalid(field, refusal ? refusal.message : `${url.hostname} does not resolve.`);
    }
  }

  async function discover(issuer: string): Promise<Discovered> {
    await checkUrl('issuer', issuer);
    const base = issuer.endsWith('/') ? issuer : `${issuer}/`;
    try {
      const response = await deps.outbound(new URL('.well-known/openid-configuration', base), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`it answered ${response.status}`);
      return (await response.json()) as Discovered;
    } catch (error) {
      const refusal = findOutboundRefusal(error);
      throw invalid(
        'issuer',
        refusal
          ? refusal.message
          : `Could not read ${base}.well-known/openid-configuration (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
  }

  router.get('/', requireTenantPermission(deps, 'connectors.read'), async (_req, res) => {
    const access = tenantAccessOf(res);
    const { items, used } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => ({
      items: await providersFor(db, catalog, { id: access.tenantId, plan: access.tenant.plan }),
      used: await countLiveConnections(db, access.tenantId),
    }));
    res.json({
      items: items.map((item) => item.view),
      limit: planDefinition(access.tenant.plan).limits.connectors,
      used,
    } satisfies ConnectorProviderList);
  });

  router.post('/', requireTenantPermission(deps, 'connectors.manage'), async (req, res) => {
    const body = parseBody(CreateCustomProviderRequest, req);
    const access = tenantAccessOf(res);
    const discovered = body.issuer ? await discover(body.issuer) : {};
    const authorizationEndpoint = body.authorizationEndpoint ?? discovered.authorization_endpoint;
    const tokenEndpoint = body.tokenEndpoint ?? discovered.token_endpoint;
    const userinfo = body.userinfoEndpoint ?? discovered.userinfo_endpoint;
    const revocation = body.revocationEndpoint ?? discovered.revocation_endpoint;
    if (!authorizationEndpoint)
      throw invalid('authorizationEndpoint', 'Give it, or an issuer whose discovery names it.');
    if (!tokenEndpoint) throw invalid('tokenEndpoint', 'Give it, or an issuer whose discovery names it.');
    if (!userinfo)
      throw invalid(
        'userinfoEndpoint',
        'Give a "who am I" endpoint (the connection test), or an OIDC issuer with userinfo.',
      );
    const id = `custom-${randomUUID()}`;
    const candidate: ProviderDefinition = {
      id,
      name: body.name,
      description: `${body.name} (defined by the tenant)`,
      ...(body.issuer ? { issuer: body.issuer } : {}),
      authorizationEndpoint,
      tokenEndpoint,
      defaultScopes: body.scopes,
      scopeSeparator: ' ',
      authorizationParams: body.authorizationParams ?? {},
      // Sent whenever the provider does not say it refuses S256 (RFC 9700 recommends it for every client).
      pkce: discovered.code_challenge_methods_supported?.includes('S256') ?? true,
      tokenEndpointAuthMethod: body.tokenEndpointAuthMethod,
      refresh: 'rotating',
      revocation: revocation ? { kind: 'rfc7009', endpoint: revocation } : { kind: 'none' },
      whoAmI: { url: userinfo, method: 'GET', idField: 'sub', nameField: body.issuer ? 'email' : 'sub' },
      apiBaseUrl: body.apiBaseUrl ?? body.issuer ?? new URL(authorizationEndpoint).origin,
      feature: 'connectors.basic',
    };
    const parsed = ProviderDefinitionSchema.safeParse(candidate);
    if (!parsed.success)
      throw new ProblemError('validation', 'The provider cannot be used; see `errors`.', {
        errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
    for (const { field, url } of definitionUrls(parsed.data)) await checkUrl(field, url);

    const secretPath = customProviderSecretPath(access.slug, id);
    await deps.secretStore.write(secretPath, { clientSecret: body.clientSecret });
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      await insertCustomProvider(db, {
        id,
        tenant_id: access.tenantId,
        definition: parsed.data,
        client_id: body.clientId,
        secret_path: secretPath,
        created_by: authOf(res).userId,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'connector_provider.created',
        targetType: 'connector_provider',
        targetId: id,
        after: { name: body.name, issuer: body.issuer ?? null, authorizationEndpoint, tokenEndpoint },
      });
    }).catch(async (error: unknown) => {
      await deps.secretStore.destroy(secretPath).catch(() => undefined);
      throw error;
    });
    res.status(201).json({
      id,
      name: parsed.data.name,
      description: parsed.data.description,
      kind: 'custom',
      feature: parsed.data.feature,
      available: planAllows(access.tenant.plan, parsed.data.feature),
      configured: true,
      defaultScopes: parsed.data.defaultScopes,
      refresh: parsed.data.refresh,
      revocation: parsed.data.revocation.kind,
      documentationUrl: null,
    } satisfies ConnectorProvider);
  });

  return router;
}

export const connectorProvidersPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/connectors/providers': {
    get: {
      operationId: 'listConnectorProviders',
      summary: 'The providers the tenant can connect, and its plan’s connector limit',
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'The providers.',
          content: { 'application/json': { schema: ConnectorProviderListSchema } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createCustomConnectorProvider',
      summary: "Define the tenant's own OAuth 2.0 / OpenID Connect provider (with its own client)",
      description:
        'With `issuer`, the endpoints are discovered. Every URL must be https and pass the outbound-address guard (no loopback, private, link-local or metadata addresses): a refused one is a 422 naming the field. The client secret goes to the secret store and is never returned.',
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: CreateCustomProviderRequest } } },
      responses: {
        201: { description: 'Defined.', content: { 'application/json': { schema: ConnectorProviderSchema } } },
        ...problemResponses(400, 401, 403, 404, 422),
      },
    },
  },
};

export const connectorProvidersRoutes: RouteModule = routeModule(
  '/tenants/:slug/connectors/providers',
  connectorProvidersRouter,
  connectorProvidersPaths,
);
