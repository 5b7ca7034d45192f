// Talking OAuth 2.0 / OpenID Connect to a connector's provider, on openid-client: the
// authorization URL (PKCE S256 when the provider takes it), the code exchange, the "who am I"
// call and RFC 7009 revocation. Every request goes through the outbound guard's fetch, so a
// tenant-defined provider can never make Atrium call its own network. Failures are
// OAuthProviderError with a reason the workflow turns into a connection status and a message a
// person understands; the tokens themselves never appear in an error.
import * as oidc from 'openid-client';
import type { OutboundFetch } from '../outbound/fetch.ts';
import { findOutboundRefusal } from '../outbound/refused.ts';
import type { ProviderDefinition } from './provider-definition.ts';

export type OAuthFailureReason =
  /** The person declined (or the provider refused) the authorization. */
  | 'access_denied'
  /** The code (or refresh token) was used, expired or revoked: connect again. */
  | 'invalid_grant'
  /** The provider refused the client id or secret: a platform admin (or the tenant) must fix them. */
  | 'invalid_client'
  /** The provider's address is refused by the outbound guard. */
  | 'refused'
  /** The provider did not answer, or answered 5xx: a retry may help. */
  | 'unreachable'
  /** Anything else the provider said: shown as it said it. */
  | 'provider_error';

export class OAuthProviderError extends Error {
  readonly reason: OAuthFailureReason;
  readonly retryable: boolean;
  constructor(reason: OAuthFailureReason, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'OAuthProviderError';
    this.reason = reason;
    this.retryable = reason === 'unreachable';
  }
}

export interface OAuthClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface OAuthClientOptions {
  fetch: OutboundFetch;
  /** Accept http:// providers (loopback in tests and development only). */
  allowInsecure: boolean;
}

/** What the exchange gives back; the caller writes it to the secret store at once. */
export interface ExchangedTokens {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  tokenType: string;
  /** When the access token expires (ms since the epoch), if the provider said. */
  expiresAt: number | null;
  scopes: string[];
}

export function createOAuthClient(options: OAuthClientOptions) {
  const customFetch: oidc.CustomFetch = (url, init) => options.fetch(url, init as RequestInit);

  function configuration(definition: ProviderDefinition, client: OAuthClientCredentials): oidc.Configuration {
    // No secret: a configuration that never calls the token endpoint (the URL, "who am I").
    const auth =
      client.clientSecret === ''
        ? oidc.None()
        : definition.tokenEndpointAuthMethod === 'client_secret_basic'
          ? oidc.ClientSecretBasic(client.clientSecret)
          : oidc.ClientSecretPost(client.clientSecret);
    const server: oidc.ServerMetadata = {
      issuer: definition.issuer ?? new URL(definition.authorizationEndpoint).origin,
      authorization_endpoint: definition.authorizationEndpoint,
      token_endpoint: definition.tokenEndpoint,
      ...(definition.revocation.kind === 'rfc7009' ? { revocation_endpoint: definition.revocation.endpoint } : {}),
    };
    const config = new oidc.Configuration(server, client.clientId, undefined, auth);
    config[oidc.customFetch] = customFetch;
    if (options.allowInsecure) oidc.allowInsecureRequests(config);
    return config;
  }

  return {
    /** A fresh PKCE verifier and state (both random, 256 bits). */
    newSecrets(): { state: string; codeVerifier: string } {
      return { state: oidc.randomState(), codeVerifier: oidc.randomPKCECodeVerifier() };
    },

    async authorizationUrl(
      definition: ProviderDefinition,
      client: Pick<OAuthClientCredentials, 'clientId'>,
      request: { redirectUri: string; state: string; codeVerifier: string; scopes: readonly string[] },
    ): Promise<string> {
      const config = configuration(definition, { clientId: client.clientId, clientSecret: '' });
      const params: Record<string, string> = {
        ...definition.authorizationParams,
        redirect_uri: request.redirectUri,
        scope: request.scopes.join(definition.scopeSeparator),
        state: request.state,
        response_type: 'code',
      };
      if (definition.pkce) {
        params.code_challenge = await oidc.calculatePKCECodeChallenge(request.codeVerifier);
        params.code_challenge_method = 'S256';
      }
      return oidc.buildAuthorizationUrl(config, params).href;
    },

    /** Exchanges the code the callback received (its query as the provider sent it). */
    async exchangeCode(
      definition: ProviderDefinition,
      client: OAuthClientCredentials,
      callback: { redirectUri: string; query: Record<string, string>; state: string; codeVerifier: string },
    ): Promise<ExchangedTokens> {
      const config = configuration(definition, client);
      const currentUrl = new URL(callback.redirectUri);
      for (const [key, value] of Object.entries(callback.query)) currentUrl.searchParams.set(key, value);
      try {
        const response = await oidc.authorizationCodeGrant(config, currentUrl, {
          expectedState: callback.state,
          ...(definition.pkce ? { pkceCodeVerifier: callback.codeVerifier } : {}),
        });
        return exchangedTokens(response);
      } catch (error) {
        throw translate(error, definition, 'exchanging the authorization code');
      }
    },

    /**
     * Trades a refresh token for new tokens. The answer may carry a new (rotated) refresh token:
     * the caller writes it at once, because a rotating provider has just revoked the old one.
     */
    async refresh(
      definition: ProviderDefinition,
      client: OAuthClientCredentials,
      refreshToken: string,
    ): Promise<ExchangedTokens> {
      const config = configuration(definition, client);
      try {
        return exchangedTokens(await oidc.refreshTokenGrant(config, refreshToken));
      } catch (error) {
        throw translate(error, definition, 'refreshing the access token');
      }
    },

    /** The "who am I" call: proves the token works and names the account. */
    async whoAmI(definition: ProviderDefinition, accessToken: string): Promise<{ id: string; name: string }> {
      const config = configuration(definition, { clientId: 'unused', clientSecret: '' });
      let response: Response;
      try {
        response = await oidc.fetchProtectedResource(
          config,
          accessToken,
          new URL(definition.whoAmI.url),
          definition.whoAmI.method,
        );
      } catch (error) {
        throw translate(error, definition, 'calling its "who am I" endpoint');
      }
      if (!response.ok)
        throw new OAuthProviderError(
          response.status >= 500 ? 'unreachable' : 'provider_error',
          `${definition.name} refused the new token (${definition.whoAmI.url} answered ${response.status}).`,
        );
      const body = (await response.json()) as unknown;
      const id = scalar(pick(body, definition.whoAmI.idField));
      if (id === null)
        throw new OAuthProviderError(
          'provider_error',
          `${definition.name}'s ${definition.whoAmI.url} answered without "${definition.whoAmI.idField}".`,
        );
      return { id, name: scalar(pick(body, definition.whoAmI.nameField)) ?? id };
    },

    /** RFC 7009: revokes a token at the provider's revocation endpoint. */
    async revoke(
      definition: ProviderDefinition,
      client: OAuthClientCredentials,
      token: { value: string; hint: 'access_token' | 'refresh_token' },
    ): Promise<void> {
      const config = configuration(definition, client);
      try {
        await oidc.tokenRevocation(config, token.value, { token_type_hint: token.hint });
      } catch (error) {
        throw translate(error, definition, 'revoking the token');
      }
    },

    /** For custom revocations (revocation.ts): a call through the same guarded fetch. */
    fetch: options.fetch,
  };
}

export type OAuthClient = ReturnType<typeof createOAuthClient>;

/** The token endpoint's answer (a code exchange or a refresh) as the caller stores it. */
function exchangedTokens(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): ExchangedTokens {
  const expiresIn = response.expiresIn();
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? null,
    idToken: response.id_token ?? null,
    tokenType: response.token_type,
    expiresAt: expiresIn === undefined ? null : Date.now() + expiresIn * 1000,
    scopes: response.scope ? response.scope.split(/[ ,]+/).filter(Boolean) : [],
  };
}

/** A string or number field as text; anything else (absent, an object) is null. */
function scalar(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

function pick(body: unknown, path: string): unknown {
  let current: unknown = body;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Provider answers and network failures, as reasons and sentences (never a token). */
export function translate(error: unknown, definition: ProviderDefinition, doing: string): OAuthProviderError {
  if (error instanceof OAuthProviderError) return error;
  const refusal = findOutboundRefusal(error);
  if (refusal) return new OAuthProviderError('refused', `${definition.name} cannot be called: ${refusal.message}`);
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate (a refused client, or a refused token at the "who am I" call).
    const challenge = error.cause[0]?.parameters;
    const code = challenge?.error ?? (error.status === 401 ? 'invalid_client' : 'provider_error');
    const description = challenge?.error_description ? `: ${challenge.error_description}` : '';
    if (code === 'invalid_client')
      return new OAuthProviderError(
        'invalid_client',
        `${definition.name} refused Atrium's client id or secret (invalid_client${description}); the provider's client settings must be corrected.`,
      );
    return new OAuthProviderError(
      'provider_error',
      `${definition.name} answered ${code}${description} while ${doing}.`,
    );
  }
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    if (error.error === 'access_denied')
      return new OAuthProviderError(
        'access_denied',
        `The authorization was declined at ${definition.name}${description}.`,
      );
    if (error.error === 'invalid_grant')
      return new OAuthProviderError(
        'invalid_grant',
        `${definition.name} no longer accepts this authorization (invalid_grant${description}); connect again.`,
      );
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client')
      return new OAuthProviderError(
        'invalid_client',
        `${definition.name} refused Atrium's client id or secret (${error.error}${description}); the provider's client settings must be corrected.`,
      );
    const status = error instanceof oidc.ResponseBodyError ? error.status : 400;
    return new OAuthProviderError(
      status >= 500 ? 'unreachable' : 'provider_error',
      `${definition.name} answered ${error.error}${description} while ${doing}.`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON')
    return new OAuthProviderError(
      'provider_error',
      `${definition.name} answered unexpectedly while ${doing}: ${message}`,
    );
  if (error instanceof TypeError || code === 'ECONNREFUSED' || /fetch failed|timeout|aborted/i.test(message))
    return new OAuthProviderError(
      'unreachable',
      `${definition.name} could not be reached while ${doing} (${message}).`,
    );
  return new OAuthProviderError('provider_error', `${definition.name} failed while ${doing}: ${message}`);
}
