// What the connector tests share: a tenant's own provider pointing at the test provider, a
// connect driven through the provider's real pages and the callback, and a scan of workflow
// histories and process logs for secret values.
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { ConnectionStarted, ConnectorProvider } from '../../contracts/connectors.ts';
import { request, waitForOperation } from './api-client.ts';
import type { ConnectorTestProvider } from './connector-provider.ts';
import type { Platform, TestUser } from './platform.ts';

/** The portal's callback page for a PUBLIC_URL: the redirect URI registered at the provider. */
export function redirectUriFor(publicUrl: string): string {
  return `${publicUrl}/connectors/callback`;
}

export async function defineTestProvider(
  platform: Platform,
  member: TestUser,
  slug: string,
  provider: ConnectorTestProvider,
  options: { apiBaseUrl?: string } = {},
): Promise<ConnectorProvider> {
  const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/connectors/providers`, {
    headers: member.headers,
    json: {
      name: 'Test provider',
      issuer: provider.issuer,
      ...(options.apiBaseUrl ? { apiBaseUrl: options.apiBaseUrl } : {}),
      scopes: ['openid', 'email', 'offline_access'],
      // oidc-provider (like Google) issues a refresh token for offline_access only with prompt=consent.
      authorizationParams: { prompt: 'consent' },
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return ConnectorProvider.parse(created.body);
}

/** POST …/connections: the pending connection with its authorization URL. */
export async function startConnect(platform: Platform, member: TestUser, slug: string, providerId: string) {
  const started = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/connections`, {
    headers: member.headers,
    json: { provider: providerId },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const body = ConnectionStarted.parse(started.body);
  assert.ok(body.connection.authorizationUrl, 'the connect answered with its authorization URL');
  return body;
}

/** What the provider sent to the redirect URI, as the portal's callback page posts it. */
export function callbackBody(redirect: URL): Record<string, string> {
  const body: Record<string, string> = {};
  for (const key of ['code', 'state', 'iss', 'error', 'error_description']) {
    const value = redirect.searchParams.get(key);
    if (value !== null) body[key] = value;
  }
  return body;
}

export function postCallback(platform: Platform, member: TestUser, body: Record<string, string>) {
  return request(platform.baseUrl, 'POST', '/api/v1/connectors/callback', { headers: member.headers, json: body });
}

/** Connects through the provider's login and consent pages and the callback; waits for the end. */
export async function connectThroughProvider(
  platform: Platform,
  member: TestUser,
  slug: string,
  provider: ConnectorTestProvider,
  providerId: string,
  login: string,
) {
  const started = await startConnect(platform, member, slug, providerId);
  const redirect = await provider.authorize(started.connection.authorizationUrl!, login);
  assert.equal(`${redirect.origin}${redirect.pathname}`, started.redirectUri, 'back at the exact redirect URI');
  assert.ok(redirect.searchParams.get('code'), `the provider sent a code: ${redirect.href}`);
  const body = callbackBody(redirect);
  const accepted = await postCallback(platform, member, body);
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const operation = await waitForOperation(platform, started.operation.id);
  return { started, callback: body, operation };
}

/** Disconnects through the API as `member` and waits until disconnectConnector completed. */
export async function disconnectThroughApi(platform: Platform, member: TestUser, slug: string, connectionId: string) {
  const disconnected = await request(
    platform.baseUrl,
    'DELETE',
    `/api/v1/tenants/${slug}/connections/${connectionId}`,
    { headers: member.headers },
  );
  assert.equal(disconnected.status, 202, JSON.stringify(disconnected.body));
  const operation = await waitForOperation(platform, disconnected.body.operation.id);
  assert.equal(operation.status, 'completed', JSON.stringify(operation));
  return operation;
}

/** Every string in a workflow's history, payloads decoded. */
export async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}

/** Fails naming where a secret value was found. */
export function assertNoSecrets(places: Record<string, string>, secrets: Record<string, string>): void {
  for (const [place, text] of Object.entries(places))
    for (const [name, value] of Object.entries(secrets)) {
      if (!value) continue;
      assert.ok(!text.includes(value), `${name} appears in ${place}`);
    }
}
