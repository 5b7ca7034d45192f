// Disconnecting: revokes a connection's tokens at its provider the way the catalog says
// (revocation.kind). RFC 7009 through openid-client; the providers without it (Slack, GitHub,
// Microsoft, HubSpot, Meta) through their own documented call; `none` revokes nothing (the tokens
// are still deleted from the secret store by the caller).
import type { OAuthClient, OAuthClientCredentials } from './client.ts';
import { OAuthProviderError, translate } from './client.ts';
import type { ProviderDefinition } from './provider-definition.ts';

export interface StoredTokens {
  accessToken: string;
  refreshToken: string | null;
}

export type RevocationOutcome = { revoked: true; how: string } | { revoked: false; how: 'none' };

export async function revokeAtProvider(
  oauth: OAuthClient,
  definition: ProviderDefinition,
  client: OAuthClientCredentials,
  tokens: StoredTokens,
): Promise<RevocationOutcome> {
  const { revocation } = definition;
  if (revocation.kind === 'none') return { revoked: false, how: 'none' };
  if (revocation.kind === 'rfc7009') {
    // Revoking the refresh token ends the whole grant at RFC 7009 providers (§2.1).
    const token = tokens.refreshToken
      ? { value: tokens.refreshToken, hint: 'refresh_token' as const }
      : { value: tokens.accessToken, hint: 'access_token' as const };
    await oauth.revoke(definition, client, token);
    return { revoked: true, how: 'rfc7009' };
  }
  const call = CUSTOM[revocation.method];
  const request = call(definition, client, tokens);
  let response: Response;
  try {
    response = await oauth.fetch(request.url, request.init);
  } catch (error) {
    throw translate(error, definition, 'revoking the token');
  }
  // A token the provider no longer knows is as revoked as it gets.
  if (!response.ok && response.status !== 401 && response.status !== 404)
    throw new OAuthProviderError(
      response.status >= 500 ? 'unreachable' : 'provider_error',
      `${definition.name} answered ${response.status} to the revocation (${revocation.method}).`,
    );
  return { revoked: true, how: revocation.method };
}

type CustomCall = (
  definition: ProviderDefinition,
  client: OAuthClientCredentials,
  tokens: StoredTokens,
) => { url: string; init: RequestInit };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const CUSTOM: Record<Exclude<ProviderDefinition['revocation'], { kind: 'rfc7009' | 'none' }>['method'], CustomCall> = {
  // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
  'github-delete-grant': (_definition, client, tokens) => ({
    url: `https://api.github.com/applications/${encodeURIComponent(client.clientId)}/grant`,
    init: {
      method: 'DELETE',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        accept: 'application/vnd.github+json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ access_token: tokens.accessToken }),
    },
  }),
  // https://docs.slack.dev/reference/methods/auth.revoke
  'slack-auth-revoke': (_definition, _client, tokens) => ({
    url: 'https://slack.com/api/auth.revoke',
    init: { method: 'POST', headers: bearer(tokens.accessToken) },
  }),
  // https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions
  'microsoft-revoke-sign-in-sessions': (_definition, _client, tokens) => ({
    url: 'https://graph.microsoft.com/v1.0/me/revokeSignInSessions',
    init: { method: 'POST', headers: bearer(tokens.accessToken) },
  }),
  // https://developers.hubspot.com/docs/api/oauth/tokens (DELETE /oauth/v1/refresh-tokens/:token)
  'hubspot-delete-refresh-token': (_definition, _client, tokens) => ({
    url: `https://api.hubapi.com/oauth/v1/refresh-tokens/${encodeURIComponent(tokens.refreshToken ?? tokens.accessToken)}`,
    init: { method: 'DELETE' },
  }),
  // https://developers.facebook.com/docs/facebook-login/guides/permissions/request-revoke
  'meta-delete-permissions': (definition, _client, tokens) => ({
    url: `${definition.apiBaseUrl}/me/permissions`,
    init: { method: 'DELETE', headers: bearer(tokens.accessToken) },
  }),
};
