// A real OAuth 2.0 / OpenID Connect provider for the connector tests: oidc-provider on a loopback
// port, configured as a SaaS provider Atrium connects to (unlike tests/support/oidc-provider.ts,
// which stands in for a company's single sign-on): revocation and introspection on (they are off
// by default), refresh tokens for `offline_access` (which oidc-provider grants only with
// prompt=consent) rotated on every use, access tokens that live a few seconds. One confidential
// client (PKCE required, client_secret_basic). Its development login and consent pages are walked
// like a browser by `authorize` (walkProviderPages).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { walkProviderPages } from './oidc-provider.ts';

export interface ConnectorTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** How many requests reached each path (`/token`, `/token/revocation`, `/me`, …). */
  requests: Map<string, number>;
  /** Walks the login and consent pages as `login` (or presses Cancel); resolves with the redirect. */
  authorize(authorizationUrl: string, login: string, options?: { decline?: boolean }): Promise<URL>;
  /** Asks the provider (introspection) whether a token is still active. */
  introspect(token: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startConnectorProvider(options: {
  redirectUris: string[];
  accessTokenTtlSeconds?: number;
}): Promise<ConnectorTestProvider> {
  const clientId = `atrium-connector-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requests = new Map<string, number>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      // Only the client a token was issued to may revoke it.
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: true },
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 600,
      AuthorizationCode: 60,
      IdToken: 600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Interaction: 600,
      Session: 3_600,
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    findAccount(_ctx, sub) {
      const login = sub.replace(/^sub-/, '');
      return {
        accountId: sub,
        claims: () => ({ sub, email: `${login}@provider.test`, email_verified: true, name: login }),
      };
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider error', error));
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    void provider.callback()(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    requests,
    authorize: (authorizationUrl, login, walk) => walkProviderPages(issuer, authorizationUrl, login, walk),
    async introspect(token) {
      const response = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }).toString(),
      });
      return ((await response.json()) as { active: boolean }).active;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
