// connectConnector and disconnectConnector with typed activity stand-ins: the steps in order and
// only references in the history, a connect nobody finishes (expired), a declined authorization
// (access_denied), a refused exchange (invalid_grant), and a disconnect whose revocation fails for
// good still deleting the tokens. Each outcome's history is recorded for the replay test.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { connectConnector, disconnectConnector } from '../../workflows/connectors/index.ts';
import {
  authorizationCallbackSignal,
  CONNECT_FAILURE_TYPES,
  connectConnectorWorkflowId,
  disconnectConnectorWorkflowId,
  getConnectStateQuery,
} from '../../workflows/connectors/contract.ts';
import { recordHistory } from '../support/histories.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { failureOf, startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

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
