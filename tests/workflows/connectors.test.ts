// connectConnector, maintainConnection and disconnectConnector with typed activity stand-ins: the
// steps in order and only references in the history, a connect nobody finishes (expired), a
// declined authorization (access_denied), a refused exchange (invalid_grant), a disconnect whose
// revocation fails for good still deleting the tokens; the maintenance refreshing on its timer,
// concurrent token requests sharing one refresh, a refused refresh ending as needs_reauth, and a
// disconnect stopping it. Each outcome's history is recorded for the replay test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { connectConnector, disconnectConnector, maintainConnection } from '../../workflows/connectors/index.ts';
import {
  authorizationCallbackSignal,
  CONNECT_FAILURE_TYPES,
  connectConnectorWorkflowId,
  disconnectConnectorWorkflowId,
  getConnectStateQuery,
  getMaintenanceStateQuery,
  maintainConnectionWorkflowId,
  requestTokenRefreshUpdate,
  stopMaintenanceSignal,
} from '../../workflows/connectors/contract.ts';
import { recordHistory } from '../support/histories.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, gate, startWorkflowHarness, TEST_TIMINGS, updateRefused } from '../support/workflow-harness.ts';

const AUTHORIZATION_URL = 'https://id.example.test/authorize?state=s&code_challenge=c';
const succeed = {
  beginAuthorization: () => Promise.resolve({ authorizationUrl: AUTHORIZATION_URL, providerName: 'Example ID' }),
  exchangeAuthorizationCode: () =>
    Promise.resolve({
      tokenPath: 'tenants/x/connectors/y/tokens',
      scopes: ['openid', 'offline_access'],
      expiresAt: '2030-01-01T00:00:00.000Z',
    }),
  testConnection: () => Promise.resolve({ accountId: 'sub-ada', accountName: 'ada@example.test' }),
  activateConnection: async () => {},
  endConnect: async () => {},
  revokeConnectionTokens: () => Promise.resolve({ how: 'rfc7009', skipped: null }),
  deleteConnectionTokens: async () => {},
} satisfies Partial<ConnectorActivities>;
const member: AuditActor = { type: 'user', id: 'member', requestId: null, ip: null };

describe('connectConnector and disconnectConnector (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('connectors');
  });
  after(async () => {
    await harness?.stop();
  });

  const connect = (connectTimeoutMs = 60_000) => {
    const slug = `wf-conn-${randomUUID().slice(0, 8)}`;
    return {
      tenantId: randomUUID(),
      slug,
      connectionId: randomUUID(),
      providerId: 'custom-test',
      scopes: ['openid', 'offline_access'],
      redirectUri: 'http://portal.test/connectors/callback',
      userId: randomUUID(),
      requestedBy: member,
      connectTimeoutMs,
      timings: TEST_TIMINGS,
    };
  };

  it('prepares, waits for the callback, exchanges, tests and activates; the history holds references only', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = connect();
      const workflowId = connectConnectorWorkflowId(input.slug, input.connectionId);
      const handle = await s.start<typeof connectConnector>('connectConnector', input, workflowId);
      await s.waitUntil('the authorization URL', async () => {
        const state = await handle.query(getConnectStateQuery);
        return state.authorizationUrl === AUTHORIZATION_URL && state.status === 'waiting-for-consent';
      });
      assert.equal(s.inputOf('beginAuthorization').workflowId, workflowId);
      assert.equal(s.inputOf('beginAuthorization').expiresAt > Date.now(), true);
      await handle.signal(authorizationCallbackSignal, { outcome: 'code' });
      const result = await handle.result();
      assert.equal(result.outcome, 'active');
      assert.deepEqual(s.names(), [
        'beginAuthorization',
        'exchangeAuthorizationCode',
        'testConnection',
        'activateConnection',
      ]);
      assert.equal(s.inputOf('activateConnection').accountName, 'ada@example.test');
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status]),
        [
          ['authorize', 'completed'],
          ['consent', 'completed'],
          ['exchange', 'completed'],
          ['test', 'completed'],
          ['activate', 'completed'],
        ],
      );
      assert.equal((await handle.query(getConnectStateQuery)).status, 'active');
      // The active connection is handed to its maintenance, which outlives the connect.
      const maintenance = harness.client.workflow.getHandle(
        maintainConnectionWorkflowId(input.slug, input.connectionId),
      );
      await s.waitUntil('the maintenance started', async () => {
        const state = await maintenance.query(getMaintenanceStateQuery).catch(() => null);
        return state?.status === 'active' && state.nextRefreshAt !== null;
      });
      assert.deepEqual((await maintenance.query(getMaintenanceStateQuery)).token, {
        tokenPath: 'tenants/x/connectors/y/tokens',
        expiresAt: '2030-01-01T00:00:00.000Z',
      });
      await maintenance.terminate('the test ended');
      await recordHistory(harness.client, workflowId, 'connect-connector-completed');
    });
  });

  it('ends as expired when nobody comes back in time, cleaning up with a message that says what to do', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = connect(1_500);
      const workflowId = connectConnectorWorkflowId(input.slug, input.connectionId);
      const handle = await s.start<typeof connectConnector>('connectConnector', input, workflowId);
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'ConnectorConnectExpired');
      assert.match(
        failure.message,
        /Nobody finished authorizing at Example ID within 2 seconds; start the connection again/,
      );
      assert.deepEqual(s.names(), ['beginAuthorization', 'endConnect']);
      assert.equal(s.inputOf('endConnect').status, 'expired');
      assert.equal(s.inputOf('endConnect').code, 'expired');
      // A callback after the end finds no workflow to signal (the API answers 410).
      await assert.rejects(handle.signal(authorizationCallbackSignal, { outcome: 'code' }));
      await recordHistory(harness.client, workflowId, 'connect-connector-expired');
    });
  });

  it('ends as failed when the member declines at the provider (access_denied)', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = connect();
      const workflowId = connectConnectorWorkflowId(input.slug, input.connectionId);
      const handle = await s.start<typeof connectConnector>('connectConnector', input, workflowId);
      await s.waitUntil(
        'waiting for consent',
        async () => (await handle.query(getConnectStateQuery)).authorizationUrl !== null,
      );
      await handle.signal(authorizationCallbackSignal, {
        outcome: 'error',
        error: 'access_denied',
        description: 'End-User aborted interaction',
      });
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'ConnectorConnectFailed');
      assert.equal(
        failure.message,
        'The authorization was declined at Example ID (End-User aborted interaction); nothing was connected.',
      );
      assert.deepEqual(s.names(), ['beginAuthorization', 'endConnect']);
      assert.equal(s.inputOf('endConnect').code, 'access_denied');
      await recordHistory(harness.client, workflowId, 'connect-connector-denied');
    });
  });

  it('ends as failed with the provider’s reason when the exchange is refused (invalid_grant)', async () => {
    const standIns = {
      ...succeed,
      exchangeAuthorizationCode: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable(
            'Example ID no longer accepts this authorization (invalid_grant: grant request is invalid); connect again.',
            CONNECT_FAILURE_TYPES.invalid_grant,
          ),
        ),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      const input = connect();
      const workflowId = connectConnectorWorkflowId(input.slug, input.connectionId);
      const handle = await s.start<typeof connectConnector>('connectConnector', input, workflowId);
      await s.waitUntil(
        'waiting for consent',
        async () => (await handle.query(getConnectStateQuery)).authorizationUrl !== null,
      );
      await handle.signal(authorizationCallbackSignal, { outcome: 'code' });
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'ConnectorConnectFailed');
      assert.match(failure.message, /invalid_grant/);
      assert.deepEqual(s.names(), ['beginAuthorization', 'exchangeAuthorizationCode', 'endConnect']);
      assert.equal(s.inputOf('endConnect').code, 'invalid_grant');
      await recordHistory(harness.client, workflowId, 'connect-connector-failed');
    });
  });

  it('disconnects: revokes, then deletes; a revocation refused for good still deletes the tokens', async () => {
    await harness.withWorker(succeed, async (s) => {
      const input = { ...connect(), requestedBy: member };
      const workflowId = disconnectConnectorWorkflowId(input.slug, input.connectionId);
      const handle = await s.start<typeof disconnectConnector>(
        'disconnectConnector',
        {
          tenantId: input.tenantId,
          slug: input.slug,
          connectionId: input.connectionId,
          requestedBy: member,
          timings: TEST_TIMINGS,
        },
        workflowId,
      );
      const result = await handle.result();
      assert.equal(result.revocation, 'rfc7009');
      assert.deepEqual(s.names(), ['revokeConnectionTokens', 'deleteConnectionTokens']);
      await recordHistory(harness.client, workflowId, 'disconnect-connector-completed');
    });
    const refused = {
      ...succeed,
      revokeConnectionTokens: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable('Example ID answered 400 to the revocation.', 'ConnectorProviderError'),
        ),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(refused, async (s) => {
      const input = connect();
      const handle = await s.start<typeof disconnectConnector>(
        'disconnectConnector',
        {
          tenantId: input.tenantId,
          slug: input.slug,
          connectionId: input.connectionId,
          requestedBy: member,
          timings: TEST_TIMINGS,
        },
        disconnectConnectorWorkflowId(input.slug, input.connectionId),
      );
      const result = await handle.result();
      assert.equal(result.revocation, 'failed: Example ID answered 400 to the revocation.');
      assert.equal(s.inputOf('deleteConnectionTokens').revocation, result.revocation);
      assert.deepEqual(
        result.progress.steps.map((step) => [step.name, step.status]),
        [
          ['revoke', 'failed'],
          ['delete', 'completed'],
        ],
      );
    });
  });
});

describe('maintainConnection (activity stand-ins)', () => {
  let harness: WorkflowHarness;
  before(async () => {
    harness = await startWorkflowHarness('connectors');
  });
  after(async () => {
    await harness?.stop();
  });

  const maintenance = (tokenLifetimeMs: number) => {
    const slug = `wf-keep-${randomUUID().slice(0, 8)}`;
    const connectionId = randomUUID();
    return {
      workflowId: maintainConnectionWorkflowId(slug, connectionId),
      input: {
        tenantId: randomUUID(),
        slug,
        connectionId,
        providerId: 'custom-test',
        tokenPath: `tenants/${slug}/connectors/${connectionId}/tokens`,
        tokenExpiresAt: new Date(Date.now() + tokenLifetimeMs).toISOString(),
        refreshMarginMs: 60_000,
        timings: TEST_TIMINGS,
      },
    };
  };

  it('refreshes before expiry on its timer; a disconnect stops it', async () => {
    const standIns = {
      // Each token lives 3 s: the timer refreshes a third of that before expiry.
      refreshConnectionTokens: () =>
        Promise.resolve({ tokenPath: 'tokens', expiresAt: new Date(Date.now() + 3_000).toISOString() }),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      const { workflowId, input } = maintenance(3_000);
      const handle = await s.start<typeof maintainConnection>('maintainConnection', input, workflowId);
      // The token lives 3 s, so it is due a second before expiry at the latest: two refreshes in ~5 s.
      await s.waitUntil('two refreshes on the timer', () => s.names().length >= 2, 10_000);
      const state = await handle.query(getMaintenanceStateQuery);
      // The query may land while the next timer refresh runs.
      assert.ok(['active', 'refreshing'].includes(state.status), state.status);
      assert.ok(state.nextRefreshAt !== null && Date.parse(state.nextRefreshAt) < Date.parse(state.token.expiresAt!));
      // A request the current token satisfies is answered without a refresh; a bad one is refused.
      const fresh = await handle.executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: 0 }] });
      assert.equal(fresh.tokenPath, 'tokens');
      await assert.rejects(
        handle.executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: -1 }] }),
        updateRefused(/minValidityMs must be between/),
      );

      await handle.signal(stopMaintenanceSignal, { reason: 'disconnected' });
      const result = await handle.result();
      assert.equal(result.outcome, 'stopped');
      assert.equal(result.refreshes, s.names().filter((name) => name === 'refreshConnectionTokens').length);
      await recordHistory(harness.client, workflowId, 'maintain-connection-stopped');
    });
  });

  it('twenty concurrent requests share one refresh, also those the server held back', async () => {
    const held = gate();
    const standIns = {
      refreshConnectionTokens: async () => {
        await held.wait;
        return { tokenPath: 'tokens', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
      },
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      // Due in ~20 s: no timer refresh mixes into the count.
      const { workflowId, input } = maintenance(30_000);
      const handle = await s.start<typeof maintainConnection>('maintainConnection', input, workflowId);
      // Twenty callers at once need a token valid for an hour (as long as one lives); the server
      // takes ten Updates in flight and the client retries the others a second or more later.
      const asked = Array.from({ length: 20 }, () =>
        handle.executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: 3_600_000 }] }),
      );
      await s.waitUntil('the shared refresh started', () => s.names().length === 1);
      held.open();
      const answers = await Promise.all(asked);
      assert.deepEqual(s.names(), ['refreshConnectionTokens'], 'one refresh for twenty requests');
      assert.equal(new Set(answers.map((answer) => answer.expiresAt)).size, 1);
      assert.ok(answers.every((answer) => answer.tokenPath === 'tokens'));
      assert.equal((await handle.query(getMaintenanceStateQuery)).refreshes, 1);
      await handle.signal(stopMaintenanceSignal, { reason: 'disconnected' });
      assert.equal((await handle.result()).refreshes, 1);
      await recordHistory(harness.client, workflowId, 'maintain-connection-shared-refresh');
    });
  });

  it('a refresh the provider refuses (invalid_grant) ends as needs_reauth and refuses waiting callers', async () => {
    const standIns = {
      refreshConnectionTokens: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable(
            'Example ID no longer accepts this authorization (invalid_grant: grant request is invalid); connect again.',
            CONNECT_FAILURE_TYPES.invalid_grant,
          ),
        ),
      markConnectionNeedsReauth: () => Promise.resolve({ recipients: ['owner@example.test'] }),
    } satisfies Partial<ConnectorActivities>;
    await harness.withWorker(standIns, async (s) => {
      const { workflowId, input } = maintenance(3_600_000);
      const handle = await s.start<typeof maintainConnection>('maintainConnection', input, workflowId);
      const waiting = handle.executeUpdate(requestTokenRefreshUpdate, { args: [{ minValidityMs: 3_600_000 }] });
      await assert.rejects(waiting, updateRefused(/needs to be authorized again/));
      const result = await handle.result();
      assert.equal(result.outcome, 'needs_reauth');
      assert.match(result.reason ?? '', /invalid_grant/);
      assert.deepEqual(s.names(), ['refreshConnectionTokens', 'markConnectionNeedsReauth']);
      assert.equal(s.inputOf('markConnectionNeedsReauth').connectionId, input.connectionId);
      await recordHistory(harness.client, workflowId, 'maintain-connection-needs-reauth');
    });
  });
});
