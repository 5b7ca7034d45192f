// What Atrium needs to know about an OAuth 2.0 / OpenID Connect provider to connect an account
// and keep it connected: the shape of every catalog entry (catalog.ts) and of every provider a
// tenant defines for itself. Pure zod and data, so the API, the activities and the unit tests
// read the same definition.
import { z } from 'zod';

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });
/** Tenant-defined providers may use http:// only where the settings allow it (tests, development). */
const anyUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' });

/** How a token endpoint wants the client to authenticate (RFC 6749 §2.3, OIDC Core §9). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

/**
 * What the provider does about refresh tokens: `none` (no refresh token: GitHub OAuth apps, or
 * only a new consent), `static` (the same refresh token is reused), `rotating` (each refresh
 * returns a new refresh token and may revoke the old one).
 */
export const REFRESH_BEHAVIOURS = ['none', 'static', 'rotating'] as const;

/**
 * Provider-specific revocation calls for providers without an RFC 7009 endpoint. Each is one
 * function in revocation.ts; the catalog names which one a provider uses.
 */
export const CUSTOM_REVOCATIONS = [
  'github-delete-grant',
  'slack-auth-revoke',
  'microsoft-revoke-sign-in-sessions',
  'hubspot-delete-refresh-token',
  'meta-delete-permissions',
] as const;

export const Revocation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('rfc7009'), endpoint: anyUrl }),
  z.strictObject({ kind: z.literal('custom'), method: z.enum(CUSTOM_REVOCATIONS) }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type Revocation = z.infer<typeof Revocation>;

/** The cheap call that proves a token works and names the account it belongs to. */
export const WhoAmI = z.strictObject({
  url: anyUrl,
  /** The HTTP method (Slack's auth.test is a POST). */
  method: z.enum(['GET', 'POST']).default('GET'),
  /** Dotted path of the account's id in the JSON answer (`sub`, `id`, `user_id`). */
  idField: z.string().min(1),
  /** Dotted path of a name people recognise (`email`, `login`, `user`). */
  nameField: z.string().min(1),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

function definitionSchema(url: typeof anyUrl) {
  return z.strictObject({
    /** Lowercase id used in the API and in connection rows (`google`, `custom-<uuid>`). */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes'),
    name: z.string().min(1).max(80),
    description: z.string().max(300),
    /** An OpenID Provider's issuer: ID tokens are checked against it. Absent for plain OAuth 2.0. */
    issuer: url.optional(),
    authorizationEndpoint: url,
    tokenEndpoint: url,
    defaultScopes: z.array(z.string().min(1)).min(1),
    /** How scopes are joined in the authorization request (Slack and Meta use commas). */
    scopeSeparator: z.enum([' ', ',']).default(' '),
    /** Extra authorization request parameters (`access_type=offline`, `prompt=consent`). */
    authorizationParams: z.record(z.string(), z.string()).default({}),
    /** Whether the provider takes PKCE (S256); Atrium sends it whenever it does. */
    pkce: z.boolean(),
    tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS),
    refresh: z.enum(REFRESH_BEHAVIOURS),
    revocation: Revocation,
    whoAmI: WhoAmI,
    /** Where the provider's API lives (what syncs call). */
    apiBaseUrl: url,
    /** The plan feature a tenant needs to connect it. */
    feature: z.enum(['connectors.basic', 'connectors.premium']),
  });
}

/** A catalog entry: https only, and where its endpoints were read. */
export const CatalogProviderDefinition = definitionSchema(httpsUrl).extend({
  documentationUrl: httpsUrl,
});
export type CatalogProviderDefinition = z.infer<typeof CatalogProviderDefinition>;

/** A provider as the activities use it, from the catalog or defined by a tenant. */
export const ProviderDefinition = definitionSchema(anyUrl).extend({
  documentationUrl: anyUrl.optional(),
});
export type ProviderDefinition = z.infer<typeof ProviderDefinition>;

/** Every URL of a definition, for the outbound-address guard (tenant-defined providers). */
export function definitionUrls(definition: ProviderDefinition): Array<{ field: string; url: string }> {
  const urls = [
    { field: 'authorizationEndpoint', url: definition.authorizationEndpoint },
    { field: 'tokenEndpoint', url: definition.tokenEndpoint },
    { field: 'whoAmI.url', url: definition.whoAmI.url },
    { field: 'apiBaseUrl', url: definition.apiBaseUrl },
  ];
  if (definition.issuer) urls.push({ field: 'issuer', url: definition.issuer });
  if (definition.revocation.kind === 'rfc7009')
    urls.push({ field: 'revocation.endpoint', url: definition.revocation.endpoint });
  return urls;
}
