// The identity port: signing people in through a tenant's own OpenID Connect provider.
// One adapter, oidc.ts (openid-client); tests run it against oidc-provider on loopback.
// The port knows nothing of tenants or accounts: it starts an authorization-code login
// (PKCE, state, nonce) and turns the provider's callback into verified claims.

export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** What a login in flight must remember until the callback (kept server-side, single use). */
export interface PendingLogin {
  authorizationUrl: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Claims from the provider's ID token (and userinfo), checked: signature, iss, aud, nonce, exp. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

export type IdentityErrorReason =
  /** The issuer cannot be discovered (unreachable, not OIDC, insecure). */
  | 'discovery'
  /** The provider refused the client (wrong id or secret). */
  | 'client'
  /** The callback is not acceptable: state/nonce/PKCE mismatch, an error from the provider. */
  | 'callback';

export class IdentityError extends Error {
  readonly reason: IdentityErrorReason;
  constructor(reason: IdentityErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'IdentityError';
    this.reason = reason;
  }
}

export interface IdentityProviders {
  /** Discovers the issuer (cached); IdentityError 'discovery' when it is not a usable OIDC provider. */
  check(settings: Omit<OidcClientSettings, 'clientSecret'>): Promise<void>;
  startLogin(settings: OidcClientSettings, redirectUri: string): Promise<PendingLogin>;
  /** Exchanges the code in `callbackUrl` (the exact URL the provider redirected to). */
  finishLogin(
    settings: OidcClientSettings,
    callbackUrl: URL,
    pending: Omit<PendingLogin, 'authorizationUrl'>,
  ): Promise<VerifiedIdentity>;
}
