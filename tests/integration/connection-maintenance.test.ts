// maintainConnection through the whole platform, against a real OAuth/OIDC provider on loopback
// (oidc-provider: access tokens that live 20 seconds, refresh tokens rotated on every use, reuse
// of a consumed refresh token revoking the grant, as real providers do):
// - twenty callers asking at the same moment for a token valid longer than the current one is
//   cause exactly one refresh, counted at the provider's token endpoint; so do twenty sync runs
//   (their activities ask for a token near its expiry) started at once, which all use one token;
// - the tokens are refreshed on the timer before they expire, each rotated refresh token stored
//   (the one before is spent at the provider, the new access token is live);
// - a disconnect stops the maintenance before revoking;
// - a worker killed after the provider answered a refresh but before the rotated tokens were
//   written leaves the old refresh token, which the provider has spent: the retried refresh meets
//   invalid_grant and the connection needs re-authorization, saying so;
// - a grant the provider revoked (someone else spent the stored refresh token) makes the
//   connection `needs_reauth`, mails the tenant's owners and admins once and ends the
//   maintenance; no token is in its history or the logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { Connection } from '../../contracts/connectors.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import {
  connectionSecretPaths,
  maintainConnectionWorkflowId,
  requestTokenRefreshUpdate,
} from '../../workflows/connectors/contract.ts';
import {
  ConnectionIdSearchAttribute,
  OperationKindSearchAttribute,
} from '../../workflows/shared/operation.contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import {
  assertNoSecrets,
  connectThroughProvider,
  defineTestProvider,
  disconnectThroughApi,
  historyText,
  redirectUriFor,
} from '../support/connectors.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import { holdInTransaction } from '../support/provisioning.ts';
import type { ResourceServer } from '../support/resource-server.ts';
import { startResourceServer } from '../support/resource-server.ts';
import { waitFor } from '../support/wait-for.ts';

const PUBLIC_URL = 'http://portal.maintenance.test';
// With a 2 s margin the timer refreshes 18 s after each token: well after twenty callers were answered.
const TOKEN_TTL_SECONDS = 20;

describe('connection maintenance: refresh before expiry, one refresh for many callers, needs_reauth', () => {
  let platform: Platform;
  let provider: ConnectorTestProvider;
  let smtp: SmtpCapture;
  let app: DataSource;
  let store: SecretStore;
  let owner: TestUser;
  let admin: TestUser;
  let tenant: { id: string; slug: string };
  let providerId = '';
  let api: ResourceServer;

  before(async () => {
    provider = await startConnectorProvider({
      redirectUris: [redirectUriFor(PUBLIC_URL)],
      accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
    });
    smtp = await startSmtpCapture();
    api = await startResourceServer({ provider, records: [{ id: 'rec-1', name: 'One' }], pageSize: 10 });
    platform = await startPlatform({
      env: {
        PUBLIC_URL,
        SMTP_URL: smtp.url,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        CONNECTOR_ALLOW_INSECURE_PROVIDERS: 'true',
        CONNECTOR_REFRESH_MARGIN: '2s',
        // Twenty sync activities at once, none waiting for a slot.
        WORKER_ACTIVITY_SLOTS: 'connectors=22,tenant-provisioning=5',
      },
    });
    owner = await seedUser(platform.database, { email: 'owner@maintenance.test' });
    admin = await seedUser(platform.database, { email: 'admin@maintenance.test' });
    const slug = uniqueSlug('keep');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Keep Co', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant = { id: created.body.tenant.id, slug };
    // Three connections: more than the free plan's two connectors.
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE id = $1`, [tenant.id]);
    for (const [user, role] of [
      [owner, 'owner'],
      [admin, 'admin'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenant.id,
        user.userId,
        role,
      ]);
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-maintenance', poolSize: 2 });
    await app.initialize();
    store = createLocalSecretStore({ dataSource: app, keyFile: '.data/secret-store.key' });
    providerId = (await defineTestProvider(platform, owner, tenant.slug, provider, { apiBaseUrl: api.apiBaseUrl })).id;
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await api?.stop();
    await provider?.stop();
    await smtp?.stop();
  });

  const connectionOf = async (connectionId: string) =>
    Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/connections/${connectionId}`, {
          headers: owner.headers,
        })
      ).body,
    );
  const tokenCalls = () => provider.requests.get('/token') ?? 0;

  it('shares one refresh among twenty callers, refreshes before expiry on the timer, and stops at a disconnect', async () => {
    const { started, operation } = await connectThroughProvider(
      platform,
      owner,
      tenant.slug,
      provider,
      providerId,
      'ada',
    );
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const connectionId = started.connection.id;
    const paths = connectionSecretPaths(tenant.slug, connectionId);
    const first = (await store.read(paths.tokens))!.data;
    const maintenance = platform.temporal.workflow.getHandle(maintainConnectionWorkflowId(tenant.slug, connectionId));
    const described = await maintenance.describe();
    assert.equal(described.typedSearchAttributes.get(ConnectionIdSearchAttribute), connectionId);
    assert.equal(described.typedSearchAttributes.get(OperationKindSearchAttribute), 'connection');

    // Twenty callers at once need the token for longer than it has left: one refresh at the provider.
    const before = tokenCalls();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        maintenance.executeUpdate(requestTokenRefreshUpdate, {
          args: [{ minValidityMs: (TOKEN_TTL_SECONDS + 5) * 1000 }],
        }),
      ),
    );
    assert.equal(tokenCalls() - before, 1, 'exactly one refresh reached the provider for twenty callers');
    assert.equal(new Set(answers.map((answer) => answer.expiresAt)).size, 1);
    assert.ok(answers.every((answer) => answer.tokenPath === paths.tokens));
    const second = (await store.read(paths.tokens))!.data;
    assert.notEqual(second.refresh_token, first.refresh_token, 'the rotated refresh token is stored');
    assert.equal(second.expires_at, answers[0]!.expiresAt);
    assert.equal(await provider.introspect(first.refresh_token!), false, 'the first refresh token is spent');
    assert.equal(await provider.introspect(second.access_token!), true, 'the stored access token is live');

    // The timer refreshes before that token expires, storing the next rotation.
    const third = await waitFor(
      'a refresh on the timer',
      async () => {
        const current = (await store.read(paths.tokens))!.data;
        return current.refresh_token !== second.refresh_token ? current : undefined;
      },
      (TOKEN_TTL_SECONDS + 10) * 1000,
    );
    const [row] = await platform.database.query<{ tokens_refreshed_at: Date }>(
      `SELECT tokens_refreshed_at FROM connector_connections WHERE id = $1`,
      [connectionId],
    );
    assert.ok(row!.tokens_refreshed_at.getTime() < Date.parse(second.expires_at), 'refreshed before expiry');
    assert.ok(Date.parse(third.expires_at!) > Date.parse(second.expires_at));
    assert.equal(await provider.introspect(third.access_token!), true);
    const shown = await connectionOf(connectionId);
    assert.equal(shown.status, 'active');
    assert.equal(shown.tokensRefreshedAt, row!.tokens_refreshed_at.toISOString());

    // The disconnect stops the maintenance before revoking.
    await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
    const ended = await maintenance.result();
    assert.equal(ended.outcome, 'stopped');
    assert.equal(ended.refreshes, 2);
    assert.equal((await connectionOf(connectionId)).status, 'disconnected');
    assert.equal(await provider.introspect(third.refresh_token!), false, 'revoked at the provider');
  });

  it('shares one refresh among twenty sync runs whose activities ask for a token near its expiry', async () => {
    const { started } = await connectThroughProvider(platform, owner, tenant.slug, provider, providerId, 'hedy');
    const connectionId = started.connection.id;
    const syncs = `/api/v1/tenants/${tenant.slug}/connections/${connectionId}/syncs`;
    // Twenty syncs whose schedules are an hour apart: only "run now" runs them here.
    const ids: string[] = [];
    for (let index = 1; index <= 20; index += 1) {
      const created = await request(platform.baseUrl, 'POST', syncs, {
        headers: owner.headers,
        json: { name: `Records ${index}`, resourcePath: '/records', intervalSeconds: 3600 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      ids.push(created.body.id as string);
    }
    // The maintenance's own refresh comes 2 s before each token expires; once it has been
    // refreshed and 10 s have passed (the "just refreshed" grace), the token has ~8 s left:
    // every sync activity (which wants 30 s) must ask the maintenance for a newer one.
    const timerRefreshes = tokenCalls();
    await waitFor('a refresh on the timer', () => tokenCalls() > timerRefreshes, (TOKEN_TTL_SECONDS + 10) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 10_500));

    const held = api.holdPage(1);
    const before = tokenCalls();
    const pagesBefore = api.requests.length;
    const runs = await Promise.all(
      ids.map((id) => request(platform.baseUrl, 'POST', `${syncs}/${id}/run`, { headers: owner.headers })),
    );
    assert.ok(
      runs.every((run) => run.status === 202 || run.status === 200),
      JSON.stringify(runs.map((run) => run.body)),
    );
    // Every run has its token and is reading its first page (held open): twenty at once.
    await waitFor('twenty runs reading their first page', () => api.pageRequests(1) >= 20, 60_000);
    assert.equal(tokenCalls() - before, 1, 'exactly one refresh reached the provider for twenty sync activities');
    const stored = (await store.read(connectionSecretPaths(tenant.slug, connectionId).tokens))!.data;
    held.release();
    await waitFor(
      'twenty runs done',
      () => api.requests.slice(pagesBefore).filter((entry) => entry.status === 200).length >= 20,
    );
    const tokens = new Set(api.requests.slice(pagesBefore).map((entry) => entry.token));
    assert.equal(tokens.size, 1, `the twenty runs used ${tokens.size} access tokens`);
    assert.deepEqual([...tokens], [stored.access_token], 'the token they used is the one stored');
    await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
  });

  it("a worker killed between the provider's answer and the token write ends in needs_reauth", async () => {
    const { started } = await connectThroughProvider(platform, owner, tenant.slug, provider, providerId, 'kim');
    const connectionId = started.connection.id;
    const paths = connectionSecretPaths(tenant.slug, connectionId);
    const stored = (await store.read(paths.tokens))!.data;
    const maintenance = platform.temporal.workflow.getHandle(maintainConnectionWorkflowId(tenant.slug, connectionId));

    // The local secret store's writers of one path queue on an advisory lock: holding it stops
    // the write right after the provider answered, and nothing earlier (reads take no lock).
    const blocker = await holdInTransaction(
      platform,
      `SELECT pg_advisory_xact_lock(hashtext('local_secrets:' || '${paths.tokens}'))`,
    );
    const before = tokenCalls();
    const asked = maintenance
      .executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: (TOKEN_TTL_SECONDS + 5) * 1000 }] })
      .then(
        () => 'answered',
        (error: unknown) => error,
      );
    await waitFor('the provider answered the refresh', () => tokenCalls() > before);
    await waitFor('the token write waiting for its lock', async () => {
      const [row] = await platform.database.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return Number(row!.waiting) > 0;
    });
    await platform.worker.kill();
    await blocker.release();
    await platform.startWorker();

    // The retried refresh replays the spent refresh token: the provider revokes the grant.
    const result = await maintenance.result();
    assert.equal(result.outcome, 'needs_reauth');
    assert.match(result.reason ?? '', /invalid_grant/);
    const answer = await asked;
    assert.ok(answer instanceof WorkflowUpdateFailedError, `the waiting caller was told: ${String(answer)}`);
    const shown = await connectionOf(connectionId);
    assert.equal(shown.status, 'needs_reauth');
    assert.match(shown.error?.message ?? '', /no longer accepts this authorization/);
    // What is stored is still the first tokens: the killed attempt's write never committed.
    const kept = (await store.read(paths.tokens))!.data;
    assert.equal(kept.refresh_token, stored.refresh_token);
    assert.equal(await provider.introspect(stored.refresh_token!), false, 'the provider spent it');
    await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
  });

  it('a grant revoked at the provider makes the connection needs_reauth and mails the owners and admins once', async () => {
    const reconnectMails = () => smtp.mailsTo(owner.email).filter((m) => /Reconnect/.test(m.subject)).length;
    const mailedBefore = reconnectMails(); // the killed refresh's connection was mailed too
    const { started } = await connectThroughProvider(platform, owner, tenant.slug, provider, providerId, 'grace');
    const connectionId = started.connection.id;
    const paths = connectionSecretPaths(tenant.slug, connectionId);
    const stored = (await store.read(paths.tokens))!.data;

    // Someone else spends the stored refresh token: Atrium's next refresh replays a spent token,
    // and the provider answers by revoking the whole grant.
    const spent = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stored.refresh_token! }),
    });
    assert.equal(spent.status, 200);

    const maintenance = platform.temporal.workflow.getHandle(maintainConnectionWorkflowId(tenant.slug, connectionId));
    await assert.rejects(
      maintenance.executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: 3_600_000 }] }),
      (error: unknown) =>
        error instanceof WorkflowUpdateFailedError && /needs to be authorized again/.test(String(error.cause)),
    );
    const result = await maintenance.result();
    assert.equal(result.outcome, 'needs_reauth');
    assert.match(result.reason ?? '', /invalid_grant/);
    const shown = await connectionOf(connectionId);
    assert.equal(shown.status, 'needs_reauth');
    assert.match(shown.error?.message ?? '', /no longer accepts this authorization/);
    for (const person of [owner, admin]) {
      const mail = await smtp.waitForMail((m) => m.to.includes(person.email) && /Reconnect/.test(m.subject));
      assert.match(mail.text, /no longer accepts this authorization/);
      assert.ok(mail.text.includes(`${PUBLIC_URL}/tenants/${tenant.slug}/connectors`), mail.text);
    }
    assert.equal(reconnectMails() - mailedBefore, 1, 'mailed once');
    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY id`,
      [tenant.id, connectionId],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['connection.connect_started', 'connection.connected', 'connection.needs_reauth', 'connection.reauth_mailed'],
    );

    // A connection that needs re-authorization can be disconnected (its tokens deleted).
    await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
    assert.equal(await store.read(paths.tokens), null);

    assertNoSecrets(
      {
        'the maintenance history': await historyText(platform.temporal, maintenance.workflowId),
        'the worker log': platform.worker.output(),
        'the API log': platform.api.output(),
      },
      { 'the access token': stored.access_token!, 'the refresh token': stored.refresh_token! },
    );
  });
});
