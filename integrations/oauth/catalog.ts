// The providers tenants can connect without bringing their own client: one entry each, as data,
// taken from each provider's own documentation (documentationUrl). Checked with zod when the
// API and the worker boot (loadProviderCatalog): a wrong entry stops the process and says which
// field. Platform admins set each provider's client id and secret (api/connectors/); a provider
// without them is listed as "not configured" and cannot be connected.
//
// None of these can be reached from the test machines: tests/unit/connector-catalog.test.ts checks
// their shape, and the flows are tested against oidc-provider defined as a tenant's own provider.
import type { CatalogProviderDefinition } from './provider-definition.ts';
import { CatalogProviderDefinition as CatalogProviderDefinitionSchema } from './provider-definition.ts';
import type { z } from 'zod';

type CatalogInput = z.input<typeof CatalogProviderDefinitionSchema>;

const ENTRIES: CatalogInput[] = [
  {
    id: 'google',
    name: 'Google',
    description: 'Google Workspace and Google accounts (Drive, Calendar, Gmail APIs).',
    issuer: 'https://accounts.google.com',
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    defaultScopes: ['openid', 'email', 'profile'],
    // Without these Google issues a refresh token only on the very first consent.
    authorizationParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    pkce: true,
    tokenEndpointAuthMethod: 'client_secret_post',
    refresh: 'static',
    revocation: { kind: 'rfc7009', endpoint: 'https://oauth2.googleapis.com/revoke' },
    whoAmI: { url: 'https://openidconnect.googleapis.com/v1/userinfo', idField: 'sub', nameField: 'email' },
    apiBaseUrl: 'https://www.googleapis.com',
    feature: 'connectors.basic',
    documentationUrl: 'https://developers.google.com/identity/protocols/oauth2/web-server',
  },
  {
    id: 'microsoft',
    name: 'Microsoft Entra ID',
    description: 'Microsoft 365 work and school accounts through Microsoft Graph.',
    // The multi-tenant endpoints: each organization's ID tokens carry its own issuer.
    authorizationEndpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
    tokenEndpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    // No `openid`: an Entra ID token's issuer names the person's organization, which the
    // multi-tenant endpoint cannot know in advance; Graph's /me names the account instead.
    defaultScopes: ['offline_access', 'User.Read'],
    pkce: true,
    tokenEndpointAuthMethod: 'client_secret_post',
    // Entra returns a new refresh token with every refresh; the old one stays valid until it expires.
    refresh: 'rotating',
    // No RFC 7009 endpoint: Graph's revokeSignInSessions invalidates the user's refresh tokens.
    revocation: { kind: 'custom', method: 'microsoft-revoke-sign-in-sessions' },
    whoAmI: { url: 'https://graph.microsoft.com/v1.0/me', idField: 'id', nameField: 'userPrincipalName' },
    apiBaseUrl: 'https://graph.microsoft.com',
    feature: 'connectors.basic',
    documentationUrl: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  },
  {
    id: 'github',
    name: 'GitHub',
    description: 'GitHub users and organizations (OAuth app).',
    authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    tokenEndpoint: 'https://github.com/login/oauth/access_token',
    defaultScopes: ['read:user', 'user:email'],
    pkce: true,
    tokenEndpointAuthMethod: 'client_secret_post',
    // OAuth apps issue tokens that do not expire and no refresh token.
    refresh: 'none',
    revocation: { kind: 'custom', method: 'github-delete-grant' },
    whoAmI: { url: 'https://api.github.com/user', idField: 'id', nameField: 'login' },
    apiBaseUrl: 'https://api.github.com',
    feature: 'connectors.basic',
    documentationUrl:
      'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#web-application-flow',
  },
  {
    id: 'slack',
    name: 'Slack',
    description: 'Slack workspaces (OAuth v2, bot token).',
    authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
    tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
    defaultScopes: ['channels:read', 'users:read'],
    scopeSeparator: ',',
    pkce: false,
    tokenEndpointAuthMethod: 'client_secret_post',
    // Bot tokens do not expire unless the app turns on token rotation.
    refresh: 'none',
    revocation: { kind: 'custom', method: 'slack-auth-revoke' },
    whoAmI: { url: 'https://slack.com/api/auth.test', method: 'POST', idField: 'user_id', nameField: 'team' },
    apiBaseUrl: 'https://slack.com/api',
    feature: 'connectors.basic',
    documentationUrl: 'https://docs.slack.dev/authentication/installing-with-oauth',
  },
  {
    id: 'salesforce',
    name: 'Salesforce',
    description: 'Salesforce orgs (connected app, web server flow).',
    issuer: 'https://login.salesforce.com',
    authorizationEndpoint: 'https://login.salesforce.com/services/oauth2/authorize',
    tokenEndpoint: 'https://login.salesforce.com/services/oauth2/token',
    defaultScopes: ['api', 'refresh_token', 'openid'],
    pkce: true,
    tokenEndpointAuthMethod: 'client_secret_post',
    refresh: 'static',
    revocation: { kind: 'rfc7009', endpoint: 'https://login.salesforce.com/services/oauth2/revoke' },
    whoAmI: {
      url: 'https://login.salesforce.com/services/oauth2/userinfo',
      idField: 'user_id',
      nameField: 'preferred_username',
    },
    // Each org's API is at the instance_url its token response names; this is the login host.
    apiBaseUrl: 'https://login.salesforce.com',
    feature: 'connectors.premium',
    documentationUrl: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
  },
  {
    id: 'hubspot',
    name: 'HubSpot',
    description: 'HubSpot accounts (CRM objects).',
    authorizationEndpoint: 'https://app.hubspot.com/oauth/authorize',
    tokenEndpoint: 'https://api.hubapi.com/oauth/v1/token',
    defaultScopes: ['oauth', 'crm.objects.contacts.read'],
    pkce: false,
    tokenEndpointAuthMethod: 'client_secret_post',
    refresh: 'static',
    revocation: { kind: 'custom', method: 'hubspot-delete-refresh-token' },
    whoAmI: { url: 'https://api.hubapi.com/account-info/v3/details', idField: 'portalId', nameField: 'uiDomain' },
    apiBaseUrl: 'https://api.hubapi.com',
    feature: 'connectors.premium',
    documentationUrl: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
  },
  {
    id: 'linkedin',
    name: 'LinkedIn',
    description: 'LinkedIn members (Sign In with LinkedIn using OpenID Connect).',
    issuer: 'https://www.linkedin.com/oauth',
    authorizationEndpoint: 'https://www.linkedin.com/oauth/v2/authorization',
    tokenEndpoint: 'https://www.linkedin.com/oauth/v2/accessToken',
    defaultScopes: ['openid', 'profile', 'email'],
    pkce: false,
    tokenEndpointAuthMethod: 'client_secret_post',
    // Refresh tokens are for approved Marketing partners only; others consent again after 60 days.
    refresh: 'none',
    revocation: { kind: 'rfc7009', endpoint: 'https://www.linkedin.com/oauth/v2/revoke' },
    whoAmI: { url: 'https://api.linkedin.com/v2/userinfo', idField: 'sub', nameField: 'email' },
    apiBaseUrl: 'https://api.linkedin.com',
    feature: 'connectors.premium',
    documentationUrl: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow',
  },
  {
    id: 'meta',
    name: 'Meta',
    description: 'Facebook Login: pages and ad accounts through the Graph API.',
    authorizationEndpoint: 'https://www.facebook.com/v21.0/dialog/oauth',
    tokenEndpoint: 'https://graph.facebook.com/v21.0/oauth/access_token',
    defaultScopes: ['public_profile', 'email'],
    scopeSeparator: ',',
    pkce: false,
    tokenEndpointAuthMethod: 'client_secret_post',
    // No refresh tokens: a short-lived token is exchanged once for a long-lived one (60 days).
    refresh: 'none',
    revocation: { kind: 'custom', method: 'meta-delete-permissions' },
    whoAmI: { url: 'https://graph.facebook.com/v21.0/me', idField: 'id', nameField: 'name' },
    apiBaseUrl: 'https://graph.facebook.com/v21.0',
    feature: 'connectors.premium',
    documentationUrl: 'https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow',
  },
];

/** The validated catalog, by id. Throws at boot, naming each wrong field of each entry. */
export function loadProviderCatalog(
  entries: readonly unknown[] = ENTRIES,
): ReadonlyMap<string, CatalogProviderDefinition> {
  const problems: string[] = [];
  const catalog = new Map<string, CatalogProviderDefinition>();
  entries.forEach((raw, index) => {
    const parsed = CatalogProviderDefinitionSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(
          `entry ${index} (${String((raw as { id?: unknown }).id)}) ${issue.path.join('.')}: ${issue.message}`,
        );
      return;
    }
    if (catalog.has(parsed.data.id)) problems.push(`entry ${index}: the id "${parsed.data.id}" is used twice`);
    catalog.set(parsed.data.id, parsed.data);
  });
  if (problems.length > 0) throw new Error(`The connector provider catalog is invalid:\n  ${problems.join('\n  ')}`);
  return catalog;
}

/** The raw entries, for the shape test. */
export const PROVIDER_CATALOG_ENTRIES: readonly CatalogInput[] = ENTRIES;
