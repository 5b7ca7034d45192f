// The connectors family's activities, called directly on the embedded adapters (local secret
// store) against a real OAuth/OIDC provider on loopback (oidc-provider): a whole connect in
// workflow order — prepare, the member at the provider's pages, exchange, test, activate, refresh,
// a sync run against a protected resource server — then disconnect, each activity run twice (the second run changes nothing, audits nothing) with the
// bystander untouched; and a connect that ends (expired) deleting what it left.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createConnectorActivities } from '../../activities/connectors/index.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import type { ProviderDefinition } from '../../integrations/oauth/provider-definition.ts';
import {
  CONNECT_FAILURE_TYPES,
  connectionSecretPaths,
  customProviderSecretPath,
} from '../../workflows/connectors/contract.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import type { ResourceServer } from '../support/resource-server.ts';
import { startResourceServer } from '../support/resource-server.ts';

const REDIRECT_URI = 'http://portal.activities.test/connectors/callback';

describe('connectors activities', () => {
  let h: ActivityHarness;
  let provider: ConnectorTestProvider;
  let a: ReturnType<typeof createConnectorActivities>;
  let t: TestTenant;
  let closeOutbound: () => Promise<void>;
  let api: ResourceServer;
  const providerId = `custom-${randomUUID()}`;

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-conn' });
    provider = await startConnectorProvider({ redirectUris: [REDIRECT_URI] });
    api = await startResourceServer({
      provider,
      records: [1, 2, 3, 4, 5].map((n) => ({ id: `r-${n}`, name: `Record ${n}` })),
      pageSize: 2,
    });
    // The provider runs on loopback: this family's outbound client may reach it (the harness's may not).
    const outbound = createOutboundClient(createOutboundGuard({ allowLoopback: true }));
    closeOutbound = () => outbound.close();
    a = createConnectorActivities({ ...h.deps, outbound: outbound.fetch });
    t = h.newTenant();
    await h.provision(t);
    const definition: ProviderDefinition = {
      id: providerId,
      name: 'Loopback ID',
      description: 'test',
      issuer: provider.issuer,
      authorizationEndpoint: `${provider.issuer}/auth`,
      tokenEndpoint: `${provider.issuer}/token`,
      defaultScopes: ['openid', 'email', 'offline_access'],
      scopeSeparator: ' ',
      authorizationParams: { prompt: 'consent' },
      pkce: true,
      tokenEndpointAuthMethod: 'client_secret_basic',
      refresh: 'rotating',
      revocation: { kind: 'rfc7009', endpoint: `${provider.issuer}/token/revocation` },
      whoAmI: { url: `${provider.issuer}/me`, method: 'GET', idField: 'sub', nameField: 'email' },
      apiBaseUrl: api.apiBaseUrl,
      feature: 'connectors.basic',
    };
    const secretPath = customProviderSecretPath(t.slug, providerId);
    await h.deps.secretStore.write(secretPath, { clientSecret: provider.clientSecret });
    await h.database.query(
      `INSERT INTO connector_custom_providers (id, tenant_id, definition, client_id, secret_path) VALUES ($1, $2, $3, $4, $5)`,
      [providerId, t.tenantId, JSON.stringify(definition), provider.clientId, secretPath],
    );
  });
  after(async () => {
    await closeOutbound?.();
    await provider?.stop();
    await api?.stop();
    await h?.stop();
  });

  async function newConnection(): Promise<string> {
    const id = randomUUID();
    await h.database.query(
      `INSERT INTO connector_connections (id, tenant_id, provider, name, status, scopes, workflow_id)
       VALUES ($1, $2, $3, 'Loopback', 'pending', $4, $5)`,
      [id, t.tenantId, providerId, ['openid', 'email', 'offline_access'], `connector-connect/${t.slug}/${id}`],
    );
    return id;
  }

  const ref = (connectionId: string) => ({ tenantId: t.tenantId, slug: t.slug, connectionId, actor: h.admin });
  const begin = (connectionId: string) => ({
    ...ref(connectionId),
    providerId,
    scopes: ['openid', 'email', 'offline_access'],
    redirectUri: REDIRECT_URI,
    userId: h.admin.id!,
    workflowId: `connector-connect/${t.slug}/${connectionId}`,
    expiresAt: Date.now() + 600_000,
  });

  it('connects in workflow order, each step twice; then disconnects, revoking at the provider', async () => {
    const connectionId = await newConnection();
    const paths = connectionSecretPaths(t.slug, connectionId);

    const prepared = await h.twice(a, 'beginAuthorization', begin(connectionId), { tenant: t });
    const url = new URL(prepared.result.authorizationUrl);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('prompt'), 'consent');
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI);
    const row = prepared.after.connector_authorizations[0];
    assert.equal(row.user_id, h.admin.id);
    assert.notEqual(row.state_hash, url.searchParams.get('state'), 'only a hash of the state is kept');

    // The member at the provider; the callback route stores what came back.
    const redirect = await provider.authorize(url.href, 'ada');
    const query = Object.fromEntries(['code', 'state', 'iss'].map((k) => [k, redirect.searchParams.get(k)!]));
    await h.deps.secretStore.write(paths.callback, query);

    const exchanged = await h.twice(
      a,
      'exchangeAuthorizationCode',
      { ...ref(connectionId), providerId, redirectUri: REDIRECT_URI },
      { tenant: t },
    );
    assert.equal(exchanged.result.tokenPath, paths.tokens);
    assert.ok(exchanged.result.scopes.includes('offline_access'));
    assert.equal(provider.requests.get('/token') ?? 0, 1, 'the code was exchanged once');
    const tokens = (await h.deps.secretStore.read(paths.tokens))!.data;
    assert.ok(tokens.access_token && tokens.refresh_token);
    assert.equal(await h.deps.secretStore.read(paths.callback), null);
    for (const line of [...prepared.logs, ...exchanged.logs])
      assert.ok(!JSON.stringify(line).includes(tokens.access_token), 'no token in the logs');

    const tested = await h.twice(
      a,
      'testConnection',
      { tenantId: t.tenantId, slug: t.slug, connectionId, providerId, tokenPath: paths.tokens },
      { tenant: t },
    );
    assert.deepEqual(tested.result, { accountId: 'sub-ada', accountName: 'ada@provider.test' });

    const activated = await h.twice(
      a,
      'activateConnection',
      {
        tenantId: t.tenantId,
        connectionId,
        ...tested.result,
        scopes: exchanged.result.scopes,
        tokenPath: paths.tokens,
        tokenExpiresAt: exchanged.result.expiresAt,
        actor: h.admin,
      },
      { tenant: t },
    );
    assert.deepEqual(activated.audit, ['connection.connected']);
    const active = activated.after.connector_connections.find((c: { id: string }) => c.id === connectionId);
    assert.equal(active.status, 'active');
    assert.equal(activated.after.connector_authorizations.length, 1, 'the authorization stays, as a record');

    // maintainConnection's refresh: the new tokens stored at once, the refresh token rotated; the
    // second run finds the later expiry stored and asks the provider nothing.
    // openid-client gives `expires_in` in whole seconds counted from the answer, so a refresh less
    // than a second after the exchange can compute an expiry up to a second earlier than the
    // exchange's; maintainConnection never refreshes that soon. Let a second pass first.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const refreshed = await h.twice(
      a,
      'refreshConnectionTokens',
      {
        tenantId: t.tenantId,
        slug: t.slug,
        connectionId,
        providerId,
        tokenPath: paths.tokens,
        knownExpiresAt: exchanged.result.expiresAt,
      },
      { tenant: t },
    );
    assert.equal(provider.requests.get('/token'), 2, 'one refresh reached the provider');
    assert.deepEqual(refreshed.audit, [], 'a routine refresh is logged, not audited');
    assert.ok(Date.parse(refreshed.result.expiresAt!) > Date.parse(exchanged.result.expiresAt!));
    const renewed = (await h.deps.secretStore.read(paths.tokens))!.data;
    assert.notEqual(renewed.refresh_token, tokens.refresh_token, 'the refresh token rotated');
    assert.equal(await provider.introspect(tokens.refresh_token), false, 'the old refresh token is spent');
    assert.equal(await provider.introspect(renewed.access_token!), true, 'the new access token is live');
    const refreshedRow = refreshed.after.connector_connections.find((c: { id: string }) => c.id === connectionId);
    assert.ok(refreshedRow.tokens_refreshed_at);
    for (const line of refreshed.logs)
      assert.ok(!JSON.stringify(line).includes(renewed.access_token!), 'no token in the logs');

    // A sync run's steps: its row, the pages (the second run finds every page stored and fetches
    // nothing), the outcome with its counts on the run, the sync and the connection.
    const syncId = randomUUID();
    await h.database.query(
      `INSERT INTO connector_syncs (id, tenant_id, connection_id, name, resource_path, interval_seconds, schedule_id)
       VALUES ($1, $2, $3, 'Records', '/records', 3600, $4)`,
      [syncId, t.tenantId, connectionId, `connector-sync/${t.slug}/${connectionId}/${syncId}`],
    );
    const run = {
      tenantId: t.tenantId,
      connectionId,
      syncId,
      workflowId: `connector-sync/${t.slug}/${connectionId}/${syncId}-2026-12-03T00:00:00Z`,
    };
    await h.twice(a, 'beginSyncRun', run, { tenant: t });
    const paged = await h.twice(a, 'fetchSyncPages', { ...run, slug: t.slug }, { tenant: t });
    assert.deepEqual(paged.result, { pages: 3 });
    assert.deepEqual(
      [1, 2, 3].map((page) => api.pageRequests(page)),
      [1, 1, 1],
      'each page fetched once',
    );
    assert.equal(paged.after.connector_records.length, 5);
    for (const line of paged.logs)
      assert.ok(!JSON.stringify(line).includes(renewed.access_token!), 'no token in the logs');
    const synced = await h.twice(a, 'finishSyncRun', { ...run, status: 'succeeded', error: null }, { tenant: t });
    assert.deepEqual(synced.result.counts, { fetched: 5, created: 5, updated: 0, unchanged: 0 });
    assert.deepEqual(synced.audit, [], 'runs are their own record');
    const syncedRow = synced.after.connector_connections.find((c: { id: string }) => c.id === connectionId);
    assert.equal(syncedRow.last_sync_status, 'succeeded');

    const revoked = await h.twice(a, 'revokeConnectionTokens', ref(connectionId), { tenant: t });
    assert.deepEqual(revoked.result, { how: 'rfc7009', skipped: null });
    assert.equal(await provider.introspect(renewed.refresh_token!), false);

    const deleted = await h.twice(
      a,
      'deleteConnectionTokens',
      { ...ref(connectionId), revocation: 'rfc7009' },
      { tenant: t },
    );
    assert.deepEqual(deleted.audit, ['connection.disconnected']);
    assert.equal(await h.deps.secretStore.read(paths.tokens), null);
  });

  it('ends a connect (expired): the verifier and the callback deleted, the state no longer accepted, once audited', async () => {
    const connectionId = await newConnection();
    const paths = connectionSecretPaths(t.slug, connectionId);
    await h.run(a, 'beginAuthorization', begin(connectionId));
    const ended = await h.twice(
      a,
      'endConnect',
      { ...ref(connectionId), status: 'expired', code: 'expired', message: 'Nobody finished authorizing.' },
      { tenant: t },
    );
    assert.deepEqual(ended.audit, ['connection.connect_expired']);
    assert.equal(await h.deps.secretStore.read(paths.pkce), null);
    const authorization = ended.after.connector_authorizations.find(
      (r: { connection_id: string }) => r.connection_id === connectionId,
    );
    assert.ok(new Date(authorization.expires_at).getTime() <= Date.now(), 'the state expired with the connect');
  });

  it('refuses for good a code the provider does not accept (invalid_grant), with its reason', async () => {
    const connectionId = await newConnection();
    const paths = connectionSecretPaths(t.slug, connectionId);
    const prepared = await h.run(a, 'beginAuthorization', begin(connectionId));
    const state = new URL(prepared.result.authorizationUrl).searchParams.get('state')!;
    await h.deps.secretStore.write(paths.callback, { code: 'not-a-code-it-issued', state, iss: provider.issuer });
    const failure = await h.failure(a, 'exchangeAuthorizationCode', {
      ...ref(connectionId),
      providerId,
      redirectUri: REDIRECT_URI,
    });
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, CONNECT_FAILURE_TYPES.invalid_grant);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /Loopback ID no longer accepts this authorization \(invalid_grant/);
    assert.equal(await h.deps.secretStore.read(paths.tokens), null, 'nothing stored');
  });

  it('marks a connection whose grant is gone as needs_reauth once, and refuses its refresh for good', async () => {
    const connectionId = await newConnection();
    const paths = connectionSecretPaths(t.slug, connectionId);
    await h.database.query(`UPDATE connector_connections SET status = 'active', token_path = $2 WHERE id = $1`, [
      connectionId,
      paths.tokens,
    ]);
    // A refresh token the provider never issued (or revoked): invalid_grant, not retried.
    await h.deps.secretStore.write(paths.tokens, {
      access_token: 'gone',
      refresh_token: 'not-a-refresh-token-it-issued',
      expires_at: new Date(Date.now() + 1_000).toISOString(),
    });
    const failure = await h.failure(a, 'refreshConnectionTokens', {
      tenantId: t.tenantId,
      slug: t.slug,
      connectionId,
      providerId,
      tokenPath: paths.tokens,
      knownExpiresAt: null,
    });
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, CONNECT_FAILURE_TYPES.invalid_grant);
    assert.equal(failure.nonRetryable, true);

    const marked = await h.twice(
      a,
      'markConnectionNeedsReauth',
      { tenantId: t.tenantId, slug: t.slug, connectionId, code: failure.type, message: failure.message },
      { tenant: t, secondResult: { recipients: [] } },
    );
    assert.deepEqual(marked.audit, ['connection.needs_reauth', 'connection.reauth_mailed']);
    const row = marked.after.connector_connections.find((c: { id: string }) => c.id === connectionId);
    assert.equal(row.status, 'needs_reauth');
    assert.match(row.error_message, /invalid_grant/);
    assert.ok(row.reauth_mailed_at, 'the owners and admins were mailed');
  });
});
