// Scheduled syncs through the whole platform: a real OAuth provider on loopback (oidc-provider),
// a protected resource server that checks each token by introspection at it and serves records
// in pages, the Temporal dev server running each sync's Schedule, PostgreSQL under RLS.
// - a sync on a short schedule runs at least twice and stores its records with counts (created,
//   then unchanged, then updated); pausing stops it; "run now" runs it once; a backfill runs it;
// - a 429 with Retry-After is waited out;
// - a worker SIGKILLed in the middle of paging: the retried attempt resumes from the last page it
//   reported, and no record is stored or counted twice;
// - a connection that needs re-authorization pauses its syncs' schedules; reconnecting it in place
//   resumes those no member paused; a disconnect deletes them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Connection, ConnectionSync, ConnectionSyncList, SyncRunList } from '../../contracts/connectors.ts';
import type { SyncRun } from '../../contracts/connectors.ts';
import type { SyncPageProgress } from '../../workflows/connectors/contract.ts';
import {
  connectionSecretPaths,
  maintainConnectionWorkflowId,
  requestTokenRefreshUpdate,
} from '../../workflows/connectors/contract.ts';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import {
  ConnectionIdSearchAttribute,
  OperationKindSearchAttribute,
  TenantIdSearchAttribute,
} from '../../workflows/shared/operation.contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import {
  callbackBody,
  connectThroughProvider,
  disconnectThroughApi,
  postCallback,
  redirectUriFor,
} from '../support/connectors.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ResourceServer, TestRecord } from '../support/resource-server.ts';
import { startResourceServer } from '../support/resource-server.ts';
import { recordHistory } from '../support/histories.ts';
import { waitFor } from '../support/wait-for.ts';

const PUBLIC_URL = 'http://portal.syncs.test';
const INTERVAL_SECONDS = 3;

const recordsNumbered = (count: number, from = 1): TestRecord[] =>
  Array.from({ length: count }, (_, index) => ({ id: `rec-${from + index}`, name: `Record ${from + index}`, v: 1 }));

describe('connector syncs: scheduled runs with counts, pause, run now, 429, a worker killed mid-paging', () => {
  let platform: Platform;
  let provider: ConnectorTestProvider;
  let api: ResourceServer;
  let owner: TestUser;
  let tenant: { id: string; slug: string };
  let providerId = '';

  before(async () => {
    provider = await startConnectorProvider({ redirectUris: [redirectUriFor(PUBLIC_URL)] });
    api = await startResourceServer({ provider, records: recordsNumbered(5), pageSize: 2 });
    platform = await startPlatform({
      env: {
        PUBLIC_URL,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        CONNECTOR_ALLOW_INSECURE_PROVIDERS: 'true',
        CONNECTOR_SYNC_MIN_INTERVAL: '2s',
      },
    });
    owner = await seedUser(platform.database, { email: 'owner@syncs.test' });
    const slug = uniqueSlug('sync');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Sync Co', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant = { id: created.body.tenant.id, slug };
    // Each test connects its own account: more than the free plan's two connectors.
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE id = $1`, [tenant.id]);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant.id,
      owner.userId,
    ]);
    const defined = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/connectors/providers`, {
      headers: owner.headers,
      json: {
        name: 'Test provider with an API',
        issuer: provider.issuer,
        apiBaseUrl: api.apiBaseUrl,
        scopes: ['openid', 'email', 'offline_access'],
        authorizationParams: { prompt: 'consent' },
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
      },
    });
    assert.equal(defined.status, 201, JSON.stringify(defined.body));
    providerId = defined.body.id;
  });
  after(async () => {
    await platform?.stop();
    await api?.stop();
    await provider?.stop();
  });

  const base = (connectionId: string) => `/api/v1/tenants/${tenant.slug}/connections/${connectionId}/syncs`;
  const connect = async (login: string) => {
    const { started, operation } = await connectThroughProvider(
      platform,
      owner,
      tenant.slug,
      provider,
      providerId,
      login,
    );
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    return started.connection.id;
  };
  const createSync = async (connectionId: string, intervalSeconds: number) => {
    const created = await request(platform.baseUrl, 'POST', base(connectionId), {
      headers: owner.headers,
      json: { name: 'Records', resourcePath: '/records', intervalSeconds },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return ConnectionSync.parse(created.body);
  };
  const post = async (connectionId: string, syncId: string, action: string) => {
    const answer = await request(platform.baseUrl, 'POST', `${base(connectionId)}/${syncId}/${action}`, {
      headers: owner.headers,
    });
    assert.ok(answer.status === 200 || answer.status === 202, JSON.stringify(answer.body));
    return ConnectionSync.parse(answer.body);
  };
  const runsOf = async (connectionId: string, syncId: string): Promise<SyncRun[]> => {
    const answer = await request(platform.baseUrl, 'GET', `${base(connectionId)}/${syncId}/runs`, {
      headers: owner.headers,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return SyncRunList.parse(answer.body).items.reverse(); // oldest first
  };
  const finished = async (connectionId: string, syncId: string) =>
    (await runsOf(connectionId, syncId)).filter((run) => run.status !== 'running');
  const storedRecords = async (syncId: string) =>
    platform.database.query<{ provider_record_id: string; data: TestRecord }>(
      `SELECT provider_record_id, data FROM connector_records WHERE sync_id = $1 ORDER BY provider_record_id`,
      [syncId],
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** No run of the sync is in flight: none the schedule started still runs, none is recorded running. */
  const settled = (connectionId: string, sync: { id: string; scheduleId: string }) =>
    waitFor('no run in flight', async () => {
      const described = await platform.temporal.schedule.getHandle(sync.scheduleId).describe();
      if (described.info.runningActions.length > 0) return false;
      return (await runsOf(connectionId, sync.id)).every((run) => run.status !== 'running');
    });

  it('runs on its schedule with counts, stops when paused, and runs once when asked to', async () => {
    api.records = recordsNumbered(5);
    const connectionId = await connect('ada');
    const sync = await createSync(connectionId, INTERVAL_SECONDS);
    assert.equal(sync.schedule, 'active');
    assert.equal(sync.scheduleId, `connector-sync/${tenant.slug}/${connectionId}/${sync.id}`);
    const described = await platform.temporal.schedule.getHandle(sync.scheduleId).describe();
    assert.equal(described.typedSearchAttributes.get(TenantIdSearchAttribute), tenant.id);
    assert.equal(described.typedSearchAttributes.get(OperationKindSearchAttribute), 'connector-sync');
    assert.equal(described.typedSearchAttributes.get(ConnectionIdSearchAttribute), connectionId);

    // Two runs on the schedule: the first creates the five records, the second finds them unchanged.
    const two = await waitFor('two finished runs', async () => {
      const runs = await finished(connectionId, sync.id);
      return runs.length >= 2 && runs;
    });
    assert.ok(
      two.every((run) => run.status === 'succeeded'),
      JSON.stringify(two),
    );
    assert.deepEqual(two[0]!.counts, { fetched: 5, created: 5, updated: 0, unchanged: 0 });
    assert.equal(two[0]!.pages, 3);
    assert.deepEqual(two[1]!.counts, { fetched: 5, created: 0, updated: 0, unchanged: 5 });
    assert.match(two[0]!.workflowId, new RegExp(`^connector-sync/${tenant.slug}/${connectionId}/${sync.id}`));

    // One record changes and one is added: the next run says so.
    api.records = [...recordsNumbered(5).map((r) => (r.id === 'rec-2' ? { ...r, v: 2 } : r)), ...recordsNumbered(1, 6)];
    const seen = two.length;
    const changed = await waitFor('a run that saw the change', async () => {
      const runs = await finished(connectionId, sync.id);
      return runs.slice(seen).find((run) => run.counts.fetched === 6);
    });
    assert.deepEqual(changed.counts, { fetched: 6, created: 1, updated: 1, unchanged: 4 });
    const stored = await storedRecords(sync.id);
    assert.equal(stored.length, 6);
    assert.equal(stored.find((r) => r.provider_record_id === 'rec-2')!.data.v, 2);
    const connection = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/connections/${connectionId}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(connection.lastSync?.status, 'succeeded');

    // Paused: no more runs.
    const paused = await post(connectionId, sync.id, 'pause');
    assert.equal(paused.schedule, 'paused');
    assert.equal(paused.pausedByMember, true);
    await settled(connectionId, sync);
    const atPause = (await runsOf(connectionId, sync.id)).length;
    await sleep(INTERVAL_SECONDS * 2_500);
    assert.equal((await runsOf(connectionId, sync.id)).length, atPause, 'no run while paused');

    // Run now: exactly one more run, still paused.
    const ran = await post(connectionId, sync.id, 'run');
    assert.equal(ran.schedule, 'paused');
    await waitFor(
      'the run-now run finished',
      async () => (await finished(connectionId, sync.id)).length === atPause + 1,
    );
    await sleep(INTERVAL_SECONDS * 1_500);
    assert.equal((await runsOf(connectionId, sync.id)).length, atPause + 1, 'run now ran once');

    // Backfill: the runs the interval had due in a past period are taken now (SKIP drops overlapping ones).
    const backfill = await request(platform.baseUrl, 'POST', `${base(connectionId)}/${sync.id}/backfill`, {
      headers: owner.headers,
      json: { start: new Date(Date.now() - 4_000).toISOString(), end: new Date().toISOString() },
    });
    assert.equal(backfill.status, 202, JSON.stringify(backfill.body));
    await waitFor(
      'a backfilled run finished',
      async () => (await finished(connectionId, sync.id)).length > atPause + 1,
    );
    const backwards = await request(platform.baseUrl, 'POST', `${base(connectionId)}/${sync.id}/backfill`, {
      headers: owner.headers,
      json: { start: new Date().toISOString(), end: new Date(Date.now() - 60_000).toISOString() },
    });
    assert.equal(backwards.status, 422);
    assert.equal(backwards.body.errors[0].path, 'end');

    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY id`,
      [tenant.id, sync.id],
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      [
        'connection.sync_created',
        'connection.sync_paused',
        'connection.sync_run_requested',
        'connection.sync_backfill_requested',
      ],
    );

    // Each run that fetched records is metered once (sync.records), with what it fetched.
    const succeeded = (await finished(connectionId, sync.id)).filter((run) => run.counts.fetched > 0);
    const metered = await platform.database.query<{ quantity: string }>(
      `SELECT quantity FROM usage_events WHERE tenant_id = $1 AND meter = 'sync.records' AND attributes->>'sync' = $2`,
      [tenant.id, sync.id],
    );
    assert.deepEqual(
      metered.map((row) => Number(row.quantity)).sort(),
      succeeded.map((run) => run.counts.fetched).sort(),
    );

    // Deleted: the schedule goes too.
    const deleted = await request(platform.baseUrl, 'DELETE', `${base(connectionId)}/${sync.id}`, {
      headers: owner.headers,
    });
    assert.equal(deleted.status, 204);
    await assert.rejects(platform.temporal.schedule.getHandle(sync.scheduleId).describe());
  });

  it('waits out a 429 with Retry-After', async () => {
    api.records = recordsNumbered(3);
    const connectionId = await connect('bea');
    const sync = await createSync(connectionId, 3_600);
    await post(connectionId, sync.id, 'pause');
    api.rateLimitNext(1, 2);
    const from = api.requests.length;
    await post(connectionId, sync.id, 'run');
    const [run] = await waitFor('the run finished', async () => {
      const runs = await finished(connectionId, sync.id);
      return runs.length === 1 && runs;
    });
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run!.counts, { fetched: 3, created: 3, updated: 0, unchanged: 0 });
    const seen = api.requests.slice(from);
    const limited = seen.findIndex((r) => r.status === 429);
    assert.ok(limited >= 0, 'the provider answered 429');
    const retried = seen[limited + 1]!;
    assert.equal(retried.page, seen[limited]!.page, 'the same page was asked again');
    assert.ok(retried.at - seen[limited]!.at >= 1_900, `waited ${retried.at - seen[limited]!.at} ms, not 2 s`);
  });

  it('resumes from the last heartbeat page after the worker is SIGKILLed mid-paging, storing nothing twice', async () => {
    api.records = recordsNumbered(10);
    const connectionId = await connect('cy');
    const sync = await createSync(connectionId, 3_600);
    await post(connectionId, sync.id, 'pause');
    const before = [1, 2, 3, 4, 5].map((page) => api.pageRequests(page));
    const hold = api.holdPage(3);
    await post(connectionId, sync.id, 'run');
    await hold.reached;
    // Pages 1 and 2 are stored; the throttled heartbeat with page 2's cursor reaches the server.
    const [running] = await runsOf(connectionId, sync.id);
    const reported = await waitFor('the heartbeat after page 2', async () => {
      const described = await platform.temporal.workflow.getHandle(running!.workflowId).describe();
      const payload = described.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0]?.data;
      const details = payload ? (JSON.parse(Buffer.from(payload).toString('utf8')) as SyncPageProgress) : null;
      return details?.page === 2 && details;
    });
    assert.match(reported.cursor ?? '', /cursor=3$/, 'the heartbeat names the next page');
    await platform.worker.kill();
    hold.release();
    await platform.startWorker();

    const [run] = await waitFor(
      'the run finished',
      async () => {
        const runs = await finished(connectionId, sync.id);
        return runs.length === 1 && runs;
      },
      120_000,
    );
    assert.equal(run!.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run!.counts, { fetched: 10, created: 10, updated: 0, unchanged: 0 });
    assert.equal(run!.pages, 5);
    const asked = [1, 2, 3, 4, 5].map((page, index) => api.pageRequests(page) - before[index]!);
    assert.deepEqual(asked.slice(0, 2), [1, 1], 'pages 1 and 2 were not fetched again');
    assert.equal(asked[2], 2, 'page 3 was asked by the killed attempt and again by the retry');
    const resumed = platform.worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"Resuming the sync"'))
      .map((line) => JSON.parse(line) as { fromPage: number; resumedFrom: string; attempt: number });
    assert.deepEqual(
      resumed.map(({ fromPage, resumedFrom, attempt }) => ({ fromPage, resumedFrom, attempt })),
      [{ fromPage: 3, resumedFrom: 'heartbeat', attempt: 2 }],
    );
    const stored = await storedRecords(sync.id);
    assert.equal(stored.length, 10);
    assert.equal(new Set(stored.map((r) => r.provider_record_id)).size, 10);
  });

  it("needs_reauth pauses the syncs, reconnecting in place resumes them (not a member's pause), a disconnect deletes them", async () => {
    api.records = recordsNumbered(2);
    const connectionId = await connect('dee');
    const sync = await createSync(connectionId, INTERVAL_SECONDS);
    const memberPaused = await createSync(connectionId, INTERVAL_SECONDS);
    await post(connectionId, memberPaused.id, 'pause');
    // Someone else spends the stored refresh token: the next refresh revokes the grant.
    const { data: stored } = (await readTokens(connectionId))!;
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
      (error: unknown) => error instanceof WorkflowUpdateFailedError,
    );
    assert.equal((await maintenance.result()).outcome, 'needs_reauth');

    const listed = async () =>
      ConnectionSyncList.parse(
        (await request(platform.baseUrl, 'GET', base(connectionId), { headers: owner.headers })).body,
      ).items;
    const [shown] = (await listed()).filter((item) => item.id === sync.id);
    assert.equal(shown!.schedule, 'paused');
    assert.equal(shown!.pausedByMember, false);
    assert.match(shown!.pauseNote ?? '', /authorized again/);
    // A member cannot run it now, nor lift the pause while the connection cannot sync.
    const refused = await request(platform.baseUrl, 'POST', `${base(connectionId)}/${sync.id}/run`, {
      headers: owner.headers,
    });
    assert.equal(refused.status, 409);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    await settled(connectionId, sync);
    const atPause = (await runsOf(connectionId, sync.id)).length;

    // Reconnect in place: the same connection, through the provider's pages again.
    const again = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/connections/${connectionId}/reconnect`,
      { headers: owner.headers },
    );
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.connection.id, connectionId);
    const redirect = await provider.authorize(again.body.connection.authorizationUrl, 'dee');
    const accepted = await postCallback(platform, owner, callbackBody(redirect));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const operation = await waitForOperation(platform, again.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const connection = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/connections/${connectionId}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(connection.status, 'active');
    const restarted = await platform.temporal.workflow
      .getHandle(maintainConnectionWorkflowId(tenant.slug, connectionId))
      .describe();
    assert.equal(restarted.status.name, 'RUNNING', 'its maintenance runs again');
    const after = await listed();
    assert.equal(after.find((item) => item.id === sync.id)!.schedule, 'active');
    assert.equal(after.find((item) => item.id === memberPaused.id)!.schedule, 'paused', "a member's pause is kept");
    const resumedRun = await waitFor('a run after the reconnect', async () =>
      (await finished(connectionId, sync.id)).slice(atPause).find((run) => run.status === 'succeeded'),
    );
    assert.equal(resumedRun.counts.fetched, 2);

    await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
    await assert.rejects(platform.temporal.schedule.getHandle(sync.scheduleId).describe());
    await assert.rejects(platform.temporal.schedule.getHandle(memberPaused.scheduleId).describe());
  });

  it("suspending the tenant pauses its running syncs; reactivating resumes exactly those (not a member's pause)", async () => {
    api.records = recordsNumbered(1);
    const connectionId = await connect('sus');
    const running = await createSync(connectionId, 3_600);
    const memberPaused = await createSync(connectionId, 3_600);
    await post(connectionId, memberPaused.id, 'pause');
    const paused = async (scheduleId: string) =>
      (await platform.temporal.schedule.getHandle(scheduleId).describe()).state.paused;

    const suspend = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/suspend`, {
      headers: platform.admin.headers,
      json: { reason: 'syncs check' },
    });
    assert.equal(suspend.status, 202, JSON.stringify(suspend.body));
    const suspended = await waitForOperation(platform, suspend.body.operation.id);
    assert.equal(suspended.status, 'completed', JSON.stringify(suspended));
    assert.equal(suspended.steps.find((step: { name: string }) => step.name === 'schedules').status, 'completed');
    await recordHistory(platform.temporal, suspend.body.operation.id, 'suspend-tenant-paused-schedules');
    assert.equal(await paused(running.scheduleId), true, 'the running sync is paused');
    const [row] = await platform.database.query<{ paused_schedules: string[] }>(
      `SELECT paused_schedules FROM tenant_suspensions WHERE tenant_id = $1 ORDER BY number DESC LIMIT 1`,
      [tenant.id],
    );
    assert.ok(row!.paused_schedules.includes(running.scheduleId));
    assert.ok(!row!.paused_schedules.includes(memberPaused.scheduleId), "a member's pause is not the suspension's");

    const reactivate = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/reactivate`, {
      headers: platform.admin.headers,
      json: {},
    });
    assert.equal(reactivate.status, 202, JSON.stringify(reactivate.body));
    const reactivated = await waitForOperation(platform, reactivate.body.operation.id);
    assert.equal(reactivated.status, 'completed', JSON.stringify(reactivated));
    await recordHistory(platform.temporal, reactivate.body.operation.id, 'reactivate-tenant-resumed-schedules');
    assert.equal(await paused(running.scheduleId), false, 'the sync runs again');
    assert.equal(await paused(memberPaused.scheduleId), true, "the member's pause stays");
  });

  it('answers bad input with problem+json naming the field', async () => {
    const connectionId = await connect('eve');
    const tooOften = await request(platform.baseUrl, 'POST', base(connectionId), {
      headers: owner.headers,
      json: { name: 'Fast', resourcePath: '/records', intervalSeconds: 1 },
    });
    assert.equal(tooOften.status, 422);
    assert.equal(tooOften.body.errors[0].path, 'intervalSeconds');
    const badPath = await request(platform.baseUrl, 'POST', base(connectionId), {
      headers: owner.headers,
      json: { name: 'Bad', resourcePath: 'records', intervalSeconds: 60 },
    });
    assert.ok([400, 422].includes(badPath.status), JSON.stringify(badPath.body));
    assert.ok(badPath.body.errors.some((e: { path: string }) => e.path === 'resourcePath'));
    const unknownConnection = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/connections/${crypto.randomUUID()}/syncs`,
      { headers: owner.headers, json: { name: 'X', resourcePath: '/records', intervalSeconds: 60 } },
    );
    assert.equal(unknownConnection.status, 404);
    const unknownSync = await request(platform.baseUrl, 'POST', `${base(connectionId)}/${crypto.randomUUID()}/run`, {
      headers: owner.headers,
    });
    assert.equal(unknownSync.status, 404);
    assert.match(unknownSync.headers.get('content-type') ?? '', /application\/problem\+json/);
    const count = await platform.database.query<{ count: string }>(
      `SELECT count(*) FROM connector_syncs WHERE connection_id = $1`,
      [connectionId],
    );
    assert.equal(Number(count[0]!.count), 0, 'nothing stored');
  });

  // Last: it offboards the tenant the other tests share.
  it('offboarding disconnects every connection first (tokens revoked at the provider), deleting its syncs and rotations', async () => {
    api.records = recordsNumbered(1);
    const connectionId = await connect('off');
    const sync = await createSync(connectionId, 3_600);
    const { data: tokens } = (await readTokens(connectionId))!;
    assert.equal(await provider.introspect(tokens.access_token!), true);
    const secret = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/secrets`, {
      headers: owner.headers,
      json: { name: 'ROTATED', kind: 'generic', value: 'a-value-to-rotate', consumers: ['web'] },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    const policy = await request(
      platform.baseUrl,
      'PATCH',
      `/api/v1/tenants/${tenant.slug}/secrets/${secret.body.id}`,
      {
        headers: owner.headers,
        json: { rotationPolicy: { every: '30d' } },
      },
    );
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    const rotationSchedule = rotationScheduleId(tenant.slug, secret.body.id);
    await platform.temporal.schedule.getHandle(rotationSchedule).describe();

    const started = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/offboard`, {
      headers: platform.admin.headers,
      json: { reason: 'connections check', gracePeriod: '1s' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 120_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.equal(operation.steps.find((step: { name: string }) => step.name === 'connections').status, 'completed');
    await recordHistory(platform.temporal, started.body.operation.id, 'offboard-tenant-disconnected-connections');

    // The provider no longer honours the grant: both tokens were revoked, not only forgotten.
    assert.equal(await provider.introspect(tokens.access_token!), false, 'access token revoked');
    assert.equal(await provider.introspect(tokens.refresh_token!), false, 'refresh token revoked');
    assert.ok((provider.requests.get('/token/revocation') ?? 0) >= 1);
    for (const id of [sync.scheduleId, rotationSchedule])
      await assert.rejects(platform.temporal.schedule.getHandle(id).describe(), ScheduleNotFoundError, id);
    const maintenance = await platform.temporal.workflow
      .getHandle(maintainConnectionWorkflowId(tenant.slug, connectionId))
      .describe();
    assert.equal(maintenance.status.name, 'COMPLETED', 'its maintenance ended');
    const rows = await platform.database.query<{ id: string; status: string }>(
      `SELECT id, status FROM connector_connections WHERE tenant_id = $1`,
      [tenant.id],
    );
    assert.ok(rows.length > 1);
    assert.ok(
      rows.every((row) => row.status === 'disconnected'),
      JSON.stringify(rows),
    );
    const audited = await platform.database.query<{ actor_type: string }>(
      `SELECT actor_type FROM audit_log WHERE target_id = $1 AND action = 'connection.disconnected'`,
      [connectionId],
    );
    assert.deepEqual(audited, [{ actor_type: 'user' }], 'the offboarding admin disconnected it');
    const report = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/offboard/report`, {
      headers: platform.admin.headers,
    });
    assert.equal(report.status, 200);
    const kinds = report.body.resources.map((resource: { kind: string; name: string }) => [
      resource.kind,
      resource.name,
    ]);
    assert.ok(
      kinds.some(([kind, name]: string[]) => kind === 'connection' && name === connectionId),
      JSON.stringify(kinds),
    );
    assert.ok(kinds.some(([kind, name]: string[]) => kind === 'schedule' && name === rotationSchedule));
    assert.match(
      report.body.steps.connections.connections.find((item: { id: string }) => item.id === connectionId).revocation,
      /rfc7009/,
    );
  });

  async function readTokens(connectionId: string) {
    const { createDataSource } = await import('../../db/data-source.ts');
    const { createLocalSecretStore } = await import('../../integrations/secrets/local.ts');
    const app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-syncs', poolSize: 1 });
    await app.initialize();
    try {
      const store = createLocalSecretStore({ dataSource: app, keyFile: '.data/secret-store.key' });
      return await store.read(connectionSecretPaths(tenant.slug, connectionId).tokens);
    } finally {
      await app.destroy();
    }
  }
});
