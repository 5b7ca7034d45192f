// A real OpenID Connect provider in the test process: oidc-provider on a loopback port,
// with one confidential client (code flow, PKCE required, client_secret_basic) and the
// people a test defines. Its development login and consent pages stand in for a company's
// sign-in page; `signIn` walks through them like a browser (cookies, forms, redirects)
// and returns where the provider finally sends the browser: the client's redirect URI.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface OidcPerson {
  email: string;
  emailVerified?: boolean;
  name?: string;
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** People by login name (the `sub` is `sub-<login>`). */
  people: Map<string, OidcPerson>;
  /**
   * Opens `authorizationUrl`, signs in as `login` and consents; resolves with the URL the
   * provider redirects to (the redirect URI with code, state and iss), not followed.
   */
  signIn(authorizationUrl: string, login: string): Promise<URL>;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: { redirectUris: string[] }): Promise<OidcTestProvider> {
  const people = new Map<string, OidcPerson>();
  const clientId = `atrium-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    findAccount(_ctx, sub) {
      const login = sub.replace(/^sub-/, '');
      const person = people.get(login);
      if (!person) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: person.email,
          email_verified: person.emailVerified ?? true,
          name: person.name ?? login,
        }),
      };
    },
  });
  // Quiet: the development interactions warn on every boot.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider error', error));
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    people,
    signIn: (authorizationUrl, login) => walkProviderPages(issuer, authorizationUrl, login),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Walks oidc-provider's development login and consent pages like a browser (cookies, forms,
 * redirects) from `authorizationUrl`, signing in as `login`; resolves with the URL the provider
 * finally redirects to outside itself (the client's redirect URI with code or error, state and
 * iss), not followed. `decline` presses the pages' Cancel link instead (access_denied).
 */
export async function walkProviderPages(
  issuer: string,
  authorizationUrl: string,
  login: string,
  options: { decline?: boolean } = {},
): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      jar.set(name!.trim(), value.join('='));
    }
    return response;
  };
  let url = authorizationUrl;
  for (let hop = 0; hop < 20; hop += 1) {
    const response = await send(url);
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.origin !== new URL(issuer).origin) return next; // back to the client: done
      url = next.href;
      continue;
    }
    const html = await response.text();
    if (options.decline) {
      const abort = html.match(/href="([^"]*\/abort)"/)?.[1];
      if (!abort)
        throw new Error(`oidc-provider page without a Cancel link (${response.status}): ${html.slice(0, 300)}`);
      url = new URL(abort.replaceAll('&amp;', '&'), url).href;
      continue;
    }
    const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
    const prompt = html.match(/name="prompt" value="(\w+)"/)?.[1];
    if (!action || !prompt)
      throw new Error(`oidc-provider page without a form (${response.status}): ${html.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', `sub-${login}`);
      form.set('password', 'any');
    }
    const posted = await send(new URL(action.replaceAll('&amp;', '&'), url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const after = posted.headers.get('location');
    if (!after) throw new Error(`oidc-provider answered the ${prompt} form with ${posted.status}`);
    url = new URL(after, url).href;
  }
  throw new Error('oidc-provider: too many redirects');
}
