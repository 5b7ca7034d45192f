// Connecting an account through the whole platform, against a real OAuth/OIDC provider on loopback
// (oidc-provider, tests/support/connector-provider.ts) defined as the tenant's own provider, with
// the local secret store (connectors-vault.test.ts runs the connect with OpenBao):
// - the member is sent through the provider's real login and consent pages; the callback hands
//   the code to the workflow; the tokens land in the secret store, are live at the provider
//   (introspection), and appear in no workflow history and no log line; disconnect revokes them
//   at the provider (RFC 7009) and deletes them;
// - bad input is a clear problem+json and stores nothing: an unknown provider, another redirect
//   URI, a forged or replayed state, an expired connect, access_denied at the provider, a premium
//   provider on a plan without it, three connects at once on a plan that allows two; a client
//   secret the provider refuses ends the connect as failed with a message naming the fix;
// - platform admins set a catalog provider's client: the secret goes to the secret store only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { Connection, ConnectorProviderList, ProviderClient } from '../../contracts/connectors.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { connectionSecretPaths } from '../../workflows/connectors/contract.ts';
import { ConnectionIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import {
  assertNoSecrets,
  callbackBody,
  connectThroughProvider,
  defineTestProvider,
  historyText,
  postCallback,
  redirectUriFor,
  startConnect,
} from '../support/connectors.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const PUBLIC_URL = 'http://portal.connectors.test';
const CONNECT_TIMEOUT = '15s';

describe('connectors: connect, tokens, disconnect and bad input (local secret store)', () => {
  let platform: Platform;
  let provider: ConnectorTestProvider;
  let app: DataSource;
  let store: SecretStore;
  let owner: TestUser;
  let outsider: TestUser;
  const tenants: Array<{ id: string; slug: string }> = [];
  let providerId = '';

  before(async () => {
    provider = await startConnectorProvider({ redirectUris: [redirectUriFor(PUBLIC_URL)] });
    platform = await startPlatform({
      env: {
        PUBLIC_URL,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        CONNECTOR_ALLOW_INSECURE_PROVIDERS: 'true',
        CONNECTOR_CONNECT_TIMEOUT: CONNECT_TIMEOUT,
      },
    });
    owner = await seedUser(platform.database, { email: 'owner@connectors.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@connectors.test' });
    for (const prefix of ['conn', 'conn-limit']) {
      const slug = uniqueSlug(prefix);
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug, name: prefix, ownerEmail: `owner@${slug}.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      tenants.push({ id: created.body.tenant.id, slug });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        created.body.tenant.id,
        owner.userId,
      ]);
    }
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-connectors', poolSize: 2 });
    await app.initialize();
    store = createLocalSecretStore({ dataSource: app, keyFile: '.data/secret-store.key' });
    providerId = (await defineTestProvider(platform, owner, tenants[0]!.slug, provider)).id;
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await provider?.stop();
  });

  const tenant = () => tenants[0]!;
  const connectionsPath = (slug = tenant().slug) => `/api/v1/tenants/${slug}/connections`;
  const connectionCount = async (tenantId = tenant().id) =>
    Number(
      (
        await platform.database.query<{ count: string }>(
          `SELECT count(*) FROM connector_connections WHERE tenant_id = $1`,
          [tenantId],
        )
      )[0]!.count,
    );

  it('connects through the provider’s pages: tokens in the secret store, none in histories or logs; disconnect revokes them', async () => {
    const { started, callback, operation } = await connectThroughProvider(
      platform,
      owner,
      tenant().slug,
      provider,
      providerId,
      'ada',
    );
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const connectionId = started.connection.id;
    const shown = Connection.parse(
      (await request(platform.baseUrl, 'GET', `${connectionsPath()}/${connectionId}`, { headers: owner.headers })).body,
    );
    assert.equal(shown.status, 'active');
    assert.deepEqual(shown.account, { id: 'sub-ada', name: 'ada@provider.test' });
    assert.ok(shown.scopes.includes('offline_access'));
    assert.equal(shown.authorizationUrl, null);

    // The operator finds it by connection.
    const described = await platform.temporal.workflow.getHandle(started.operation.id).describe();
    assert.equal(described.typedSearchAttributes.get(ConnectionIdSearchAttribute), connectionId);
    assert.equal(started.operation.id, `connector-connect/${tenant().slug}/${connectionId}`);

    const paths = connectionSecretPaths(tenant().slug, connectionId);
    const tokens = (await store.read(paths.tokens))!.data;
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token, 'access, refresh and ID token stored');
    assert.equal(
      await provider.introspect(tokens.access_token),
      true,
      'the stored access token is live at the provider',
    );
    assert.equal(await store.read(paths.pkce), null, 'the PKCE verifier is gone');
    assert.equal(await store.read(paths.callback), null, 'the code is gone');
    const [row] = await platform.database.query(`SELECT * FROM connector_connections WHERE id = $1`, [connectionId]);
    assert.equal(row!.token_path, paths.tokens);
    assert.ok(!JSON.stringify(row).includes(tokens.access_token));

    // The callback works once.
    const replayed = await postCallback(platform, owner, callback);
    assert.equal(replayed.status, 410, JSON.stringify(replayed.body));
    assert.match(replayed.body.detail, /completed already; each one works once/);

    const disconnected = await request(platform.baseUrl, 'DELETE', `${connectionsPath()}/${connectionId}`, {
      headers: owner.headers,
    });
    assert.equal(
      disconnected.status,
      202,
      `${JSON.stringify(disconnected.body)}\n${platform.api
        .output()
        .split('\n')
        .filter((line) => line.includes('"error"'))
        .slice(-3)
        .join('\n')}`,
    );
    const ended = await waitForOperation(platform, disconnected.body.operation.id);
    assert.equal(ended.status, 'completed', JSON.stringify(ended));
    assert.equal(await store.read(paths.tokens), null, 'tokens deleted');
    assert.equal(
      await provider.introspect(tokens.refresh_token),
      false,
      'the refresh token is revoked at the provider',
    );
    assert.equal(provider.requests.get('/token/revocation'), 1, 'one revocation reached the provider');
    const after = Connection.parse(
      (await request(platform.baseUrl, 'GET', `${connectionsPath()}/${connectionId}`, { headers: owner.headers })).body,
    );
    assert.equal(after.status, 'disconnected');

    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY id`,
      [tenant().id, connectionId],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      [
        'connection.connect_started',
        'connection.connected',
        'connection.disconnect_requested',
        'connection.disconnected',
      ],
    );

    assertNoSecrets(
      {
        'the connect history': await historyText(platform.temporal, started.operation.id),
        'the disconnect history': await historyText(platform.temporal, disconnected.body.operation.id),
        'the API log': platform.api.output(),
        'the worker log': platform.worker.output(),
      },
      {
        'the access token': tokens.access_token,
        'the refresh token': tokens.refresh_token,
        'the ID token': tokens.id_token,
        'the authorization code': callback.code!,
        'the client secret': provider.clientSecret,
      },
    );
  });

  it('refuses an unknown provider, another redirect URI and an unconfigured or premium provider, storing nothing', async () => {
    const before = await connectionCount();
    const post = (json: unknown) =>
      request(platform.baseUrl, 'POST', connectionsPath(), { headers: owner.headers, json });

    const unknown = await post({ provider: 'nosuchprovider' });
    assert.equal(unknown.status, 422);
    assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(unknown.body.errors[0].path, 'provider');
    assert.match(unknown.body.errors[0].message, /no provider "nosuchprovider"/);

    const redirect = await post({ provider: providerId, redirectUri: 'https://evil.example/callback' });
    assert.equal(redirect.status, 422);
    assert.equal(redirect.body.errors[0].path, 'redirectUri');
    assert.match(
      redirect.body.errors[0].message,
      /Must be exactly http:\/\/portal\.connectors\.test\/connectors\/callback/,
    );

    const unconfigured = await post({ provider: 'google' });
    assert.equal(unconfigured.status, 422);
    assert.match(unconfigured.body.errors[0].message, /Google is not configured yet: a platform admin must set/);

    // A platform admin sets Salesforce's client; the free plan still lacks connectors.premium.
    const set = await request(platform.baseUrl, 'PUT', '/api/v1/connector-clients/salesforce', {
      headers: platform.admin.headers,
      json: { clientId: 'sf-client', clientSecret: 'sf-secret-value-123' },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const client = ProviderClient.parse(set.body);
    assert.equal(client.configured, true);
    assert.ok(!JSON.stringify(set.body).includes('sf-secret-value-123'), 'the secret is never answered');
    const stored = await platform.database.query(
      `SELECT * FROM connector_provider_clients WHERE provider = 'salesforce'`,
    );
    assert.ok(!JSON.stringify(stored).includes('sf-secret-value-123'), 'nor kept in PostgreSQL');
    assert.equal((await store.read('platform/connectors/salesforce/client'))?.data.clientSecret, 'sf-secret-value-123');
    const notAdmin = await request(platform.baseUrl, 'PUT', '/api/v1/connector-clients/salesforce', {
      headers: owner.headers,
      json: { clientId: 'x', clientSecret: 'y' },
    });
    assert.equal(notAdmin.status, 403);

    const premium = await post({ provider: 'salesforce' });
    assert.equal(premium.status, 403);
    assert.equal(premium.body.type, 'urn:atrium:problem:plan-feature-missing');
    assert.match(
      premium.body.detail,
      /Salesforce needs the connectors\.premium feature, which the "free" plan does not include/,
    );

    const list = ConnectorProviderList.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant().slug}/connectors/providers`, {
          headers: owner.headers,
        })
      ).body,
    );
    const salesforce = list.items.find((p) => p.id === 'salesforce')!;
    assert.deepEqual([salesforce.configured, salesforce.available], [true, false]);
    assert.equal(list.limit, 2);

    const outsiders = await request(platform.baseUrl, 'GET', connectionsPath(), { headers: outsider.headers });
    assert.equal(outsiders.status, 404);
    assert.equal(await connectionCount(), before, 'no connection was recorded');
  });

  it('refuses a forged state, a provider address in Atrium’s network, and a declined authorization stores no token', async () => {
    const forged = await postCallback(platform, owner, { state: 'forged-state', code: 'forged-code' });
    assert.equal(forged.status, 422);
    assert.equal(forged.body.errors[0].path, 'state');
    assert.match(forged.body.errors[0].message, /did not issue this state to you/);

    const metadata = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant().slug}/connectors/providers`, {
      headers: owner.headers,
      json: {
        name: 'Metadata',
        issuer: 'http://169.254.169.254/',
        scopes: ['openid'],
        clientId: 'x',
        clientSecret: 'y',
      },
    });
    assert.equal(metadata.status, 422, JSON.stringify(metadata.body));
    assert.equal(metadata.body.errors[0].path, 'issuer');
    assert.match(metadata.body.errors[0].message, /169\.254\.169\.254/);

    const started = await startConnect(platform, owner, tenant().slug, providerId);
    const redirect = await provider.authorize(started.connection.authorizationUrl!, 'ada', { decline: true });
    assert.equal(redirect.searchParams.get('error'), 'access_denied');
    // Another member cannot complete someone else's authorization.
    const foreign = await postCallback(platform, outsider, callbackBody(redirect));
    assert.equal(foreign.status, 422);
    const accepted = await postCallback(platform, owner, callbackBody(redirect));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const operation = await waitForOperation(platform, started.operation.id);
    assert.equal(operation.status, 'failed');
    const shown = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `${connectionsPath()}/${started.connection.id}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(shown.status, 'failed');
    assert.deepEqual(shown.error, {
      code: 'access_denied',
      message: 'The authorization was declined at Test provider (End-User aborted interaction); nothing was connected.',
    });
    const paths = connectionSecretPaths(tenant().slug, started.connection.id);
    for (const path of Object.values(paths)) assert.equal(await store.read(path), null, `nothing at ${path}`);
  });

  it('ends a connect whose client secret the provider refuses as failed, saying who must fix what', async () => {
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant().slug}/connectors/providers`, {
      headers: owner.headers,
      json: {
        name: 'Wrong secret',
        issuer: provider.issuer,
        scopes: ['openid', 'email'],
        clientId: provider.clientId,
        clientSecret: 'not-the-secret',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const started = await startConnect(platform, owner, tenant().slug, created.body.id);
    const redirect = await provider.authorize(started.connection.authorizationUrl!, 'ada');
    assert.equal((await postCallback(platform, owner, callbackBody(redirect))).status, 202);
    const operation = await waitForOperation(platform, started.operation.id);
    assert.equal(operation.status, 'failed');
    const shown = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `${connectionsPath()}/${started.connection.id}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(shown.status, 'failed');
    assert.equal(shown.error?.code, 'invalid_client');
    assert.match(shown.error.message, /Wrong secret refused Atrium's client id or secret .*must be corrected/);
    const paths = connectionSecretPaths(tenant().slug, started.connection.id);
    assert.equal(await store.read(paths.tokens), null, 'nothing stored');
  });

  it('ends a connect nobody finishes as expired; its late callback is a 410', async () => {
    const started = await startConnect(platform, owner, tenant().slug, providerId);
    const redirect = await provider.authorize(started.connection.authorizationUrl!, 'ada');
    const operation = await waitForOperation(platform, started.operation.id);
    assert.equal(operation.status, 'failed');
    const shown = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `${connectionsPath()}/${started.connection.id}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(shown.status, 'expired');
    assert.match(
      shown.error!.message,
      /Nobody finished authorizing at Test provider within 15 seconds; start the connection again/,
    );
    const late = await postCallback(platform, owner, callbackBody(redirect));
    assert.equal(late.status, 410);
    assert.match(late.body.detail, /expired; start the connection again/);
    const paths = connectionSecretPaths(tenant().slug, started.connection.id);
    for (const path of Object.values(paths)) assert.equal(await store.read(path), null, `nothing at ${path}`);
  });

  it('lets exactly two of three simultaneous connects through on a plan that allows two, naming the limit', async () => {
    const limited = tenants[1]!;
    const limitedProvider = (await defineTestProvider(platform, owner, limited.slug, provider)).id;
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        request(platform.baseUrl, 'POST', connectionsPath(limited.slug), {
          headers: owner.headers,
          json: { provider: limitedProvider },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [202, 202, 409], JSON.stringify(answers.map((a) => a.body)));
    const refused = answers.find((answer) => answer.status === 409)!;
    assert.equal(refused.body.type, 'urn:atrium:problem:plan-limit-reached');
    assert.match(
      refused.body.detail,
      /The "free" plan allows 2 connectors \(limit "connectors"\); 2 are connected or connecting/,
    );
    assert.equal(await connectionCount(limited.id), 2);
  });
});
