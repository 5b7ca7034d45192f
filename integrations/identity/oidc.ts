// The OpenID Connect adapter of the identity port, on openid-client: discovery of the
// issuer, authorization code flow with PKCE (S256), state and nonce, the client secret
// sent with HTTP Basic (the OIDC default), and the ID token checked by openid-client
// (signature against the provider's JWKS, iss, aud, exp, nonce). The issuer is the tenant's
// to choose, so every request openid-client makes (discovery, token, userinfo, JWKS) goes
// through the outbound guard's fetch: a refused address is a 'discovery' or 'callback' error
// saying which address and why, never a request into Atrium's own network.
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import type { OutboundFetch } from '../outbound/fetch.ts';
import { findOutboundRefusal } from '../outbound/refused.ts';
import type { IdentityProviders, OidcClientSettings, PendingLogin, VerifiedIdentity } from './port.ts';
import { IdentityError } from './port.ts';

export interface OidcOptions {
  /**
   * Accept http:// issuers. Only for providers on loopback in development and tests: over
   * plain http the tokens could be read or replaced on the way.
   */
  allowInsecureIssuers: boolean;
  /** How long a discovered configuration is reused before it is fetched again. */
  discoveryCacheMs?: number;
  /** The outbound guard's fetch (integrations/outbound/): the only way this adapter calls out. */
  fetch: OutboundFetch;
}

const SCOPE = 'openid email profile';

export function createOidcProviders(options: OidcOptions): IdentityProviders {
  const cacheMs = options.discoveryCacheMs ?? 10 * 60_000;
  const cache = new Map<string, { config: Promise<oidc.Configuration>; expiresAt: number }>();
  // openid-client types its body as any Uint8Array, where RequestInit wants one over an
  // ArrayBuffer; what it sends are strings and URLSearchParams, which both accept.
  const customFetch: oidc.CustomFetch = (url, init) => options.fetch(url, init as RequestInit);

  function configFor(settings: Omit<OidcClientSettings, 'clientSecret'> & { clientSecret?: string }) {
    const key = createHash('sha256')
      .update(JSON.stringify([settings.issuer, settings.clientId, settings.clientSecret ?? '']))
      .digest('hex');
    const cached = cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.config;
    const config = discover(settings);
    cache.set(key, { config, expiresAt: Date.now() + cacheMs });
    // A failed discovery is not remembered: the next login tries again.
    config.catch(() => cache.delete(key));
    return config;
  }

  async function discover(settings: Omit<OidcClientSettings, 'clientSecret'> & { clientSecret?: string }) {
    let issuer: URL;
    try {
      issuer = new URL(settings.issuer);
    } catch (error) {
      throw new IdentityError('discovery', `The issuer "${settings.issuer}" is not a URL.`, { cause: error });
    }
    const insecure = issuer.protocol === 'http:';
    if (insecure && !options.allowInsecureIssuers)
      throw new IdentityError('discovery', `The issuer must use https:// (got ${issuer.origin}).`);
    try {
      return await oidc.discovery(
        issuer,
        settings.clientId,
        undefined,
        settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientSecret),
        // The configuration keeps this fetch for every later request (token, userinfo, JWKS).
        {
          [oidc.customFetch]: customFetch,
          timeout: 10,
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      );
    } catch (error) {
      const refusal = findOutboundRefusal(error);
      if (refusal)
        throw new IdentityError('discovery', `The issuer cannot be called: ${refusal.message}`, { cause: error });
      throw new IdentityError(
        'discovery',
        `Could not read the OpenID configuration of ${issuer.href} (${describe(error)}). Check the issuer URL: ` +
          `${new URL('.well-known/openid-configuration', issuer.href.endsWith('/') ? issuer : `${issuer.href}/`).href} must answer.`,
        { cause: error },
      );
    }
  }

  return {
    async check(settings) {
      await configFor(settings);
    },

    async startLogin(settings, redirectUri): Promise<PendingLogin> {
      const config = await configFor(settings);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const authorizationUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { authorizationUrl: authorizationUrl.href, state, nonce, codeVerifier };
    },

    async finishLogin(settings, callbackUrl, pending): Promise<VerifiedIdentity> {
      const config = await configFor(settings);
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_client')
          throw new IdentityError(
            'client',
            'The identity provider refused the client id or secret; check the SSO settings.',
            {
              cause: error,
            },
          );
        throw new IdentityError('callback', `The sign-in could not be completed: ${describe(error)}.`, {
          cause: error,
        });
      }
      const claims = tokens.claims();
      if (!claims) throw new IdentityError('callback', 'The identity provider sent no ID token.');
      let email = typeof claims.email === 'string' ? claims.email : null;
      let emailVerified = claims.email_verified === true;
      let name = typeof claims.name === 'string' ? claims.name : null;
      // Providers may keep email and name out of the ID token; userinfo has them then.
      if (!email && config.serverMetadata().userinfo_endpoint) {
        let info;
        try {
          info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        } catch (error) {
          throw new IdentityError('callback', `The provider's userinfo could not be read: ${describe(error)}.`, {
            cause: error,
          });
        }
        email = typeof info.email === 'string' ? info.email : null;
        emailVerified = info.email_verified === true;
        name ??= typeof info.name === 'string' ? info.name : null;
      }
      return { issuer: claims.iss, subject: claims.sub, email, emailVerified, name };
    },
  };
}

function describe(error: unknown): string {
  const refusal = findOutboundRefusal(error);
  if (refusal) return refusal.message.replace(/\.$/, '');
  if (error instanceof oidc.AuthorizationResponseError)
    return `the provider answered ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof oidc.ResponseBodyError)
    return `the provider answered ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
