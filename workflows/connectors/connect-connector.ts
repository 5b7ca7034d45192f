// connectConnector: one connection from "Connect" to active. It prepares the authorization
// (the activity draws the PKCE verifier and the state, keeps the verifier in the secret store and
// only the state's hash in PostgreSQL), waits for the callback the API hands over as a signal,
// exchanges the code (tokens go straight to the secret store: this history holds their path
// only), runs the connection test and marks the connection active. Nobody coming back within
// `connectTimeoutMs` ends it as `expired`; a provider's refusal (access_denied, invalid_grant, a
// rejected client secret) as `failed` with the provider's reason in words. Either way the
// pending secrets are deleted and the connection row says why. An active connection is handed to
// maintainConnection (`connection/<slug>/<connection>`), which outlives this workflow and keeps
// its tokens fresh.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import {
  ConnectionIdSearchAttribute,
  OperationKindSearchAttribute,
  TenantIdSearchAttribute,
} from '../shared/operation.contract.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type {
  AuthorizationCallback,
  ConnectConnectorInput,
  ConnectConnectorResult,
  ConnectConnectorStep,
  ConnectState,
} from './contract.ts';
import {
  authorizationCallbackSignal,
  CONNECT_CONNECTOR_KIND,
  CONNECT_CONNECTOR_STEPS,
  CONNECT_FAILURE_TYPES,
  connectConnectorWorkflowId,
  getConnectStateQuery,
  MAINTAIN_CONNECTION_KIND,
  maintainConnectionWorkflowId,
} from './contract.ts';
import type { maintainConnection } from './maintain-connection.ts';

/** Marks connects that hand an active connection to maintainConnection. */
export const CONNECT_STARTS_MAINTENANCE_PATCH = 'connect-starts-maintenance';

/** CONNECTOR_REFRESH_MARGIN's default, for inputs that do not carry it. */
const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;

/** The failure types of CONNECT_FAILURE_TYPES back to the provider's words. */
const FAILURE_CODES = new Map<string, string>(
  Object.entries(CONNECT_FAILURE_TYPES).map(([code, type]) => [type, code]),
);

export async function connectConnector(input: ConnectConnectorInput): Promise<ConnectConnectorResult> {
  const { tenantId, slug, connectionId, requestedBy: actor, timings } = input;
  const activities = proxyActivities<ConnectorActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // A provider that is down for a minute is retried; a refusal (non-retryable) ends the connect.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
  });
  const tracker = new StepTracker<ConnectConnectorStep>(CONNECT_CONNECTOR_KIND, tenantId, CONNECT_CONNECTOR_STEPS);
  let state: ConnectState = { status: 'preparing', authorizationUrl: null, expiresAt: null };
  let callback: AuthorizationCallback | null = null;
  setHandler(getConnectStateQuery, () => state);
  // The first callback counts; the route refuses a used state, so a second one never arrives.
  setHandler(authorizationCallbackSignal, (arrived) => {
    callback ??= arrived;
  });

  const end = async (outcome: 'expired' | 'failed', code: string, message: string): Promise<never> => {
    state = { status: outcome, authorizationUrl: null, expiresAt: state.expiresAt };
    await activities.endConnect({ tenantId, slug, connectionId, status: outcome, code, message, actor });
    tracker.setPhase('failed', message);
    log.info('Connect ended', { connectionId, outcome, code });
    throw ApplicationFailure.nonRetryable(
      message,
      outcome === 'expired' ? 'ConnectorConnectExpired' : 'ConnectorConnectFailed',
      { outcome, code, progress: tracker.snapshot() },
    );
  };

  /** Why the connect stopped before it was active, if it did. */
  let stopped: { outcome: 'expired' | 'failed'; code: string; message: string } | null;
  try {
    stopped = await connect();
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const type = error.cause instanceof ApplicationFailure ? error.cause.type : null;
    stopped = {
      outcome: 'failed',
      code: (type && FAILURE_CODES.get(type)) ?? 'connect_failed',
      message: describeFailure(error),
    };
  }
  if (stopped) return end(stopped.outcome, stopped.code, stopped.message);

  state = { ...state, status: 'active', authorizationUrl: null };
  tracker.setPhase('completed');
  log.info('Connector connected', { connectionId });
  return { connectionId, outcome: 'active', progress: tracker.snapshot() };

  async function connect(): Promise<{ outcome: 'expired' | 'failed'; code: string; message: string } | null> {
    const expiresAt = Date.now() + input.connectTimeoutMs;
    const { authorizationUrl, providerName } = await tracker.run('authorize', () =>
      activities.beginAuthorization({
        tenantId,
        slug,
        connectionId,
        providerId: input.providerId,
        scopes: input.scopes,
        redirectUri: input.redirectUri,
        userId: input.userId,
        workflowId: connectConnectorWorkflowId(slug, connectionId),
        expiresAt,
        actor,
      }),
    );
    state = { status: 'waiting-for-consent', authorizationUrl, expiresAt: new Date(expiresAt).toISOString() };

    const arrived = await tracker.run('consent', () => condition(() => callback !== null, input.connectTimeoutMs));
    const answer: AuthorizationCallback | null = callback;
    if (!arrived || !answer) {
      const message = `Nobody finished authorizing at ${providerName} within ${inWords(input.connectTimeoutMs)}; start the connection again.`;
      tracker.fail('consent', message);
      return { outcome: 'expired', code: 'expired', message };
    }
    if (answer.outcome === 'error') {
      const detail = answer.description ? ` (${answer.description})` : '';
      const message =
        answer.error === 'access_denied'
          ? `The authorization was declined at ${providerName}${detail}; nothing was connected.`
          : `${providerName} did not authorize the connection: ${answer.error}${detail}.`;
      tracker.fail('consent', message);
      return { outcome: 'failed', code: answer.error, message };
    }

    state = { ...state, status: 'exchanging', authorizationUrl: null };
    const tokens = await tracker.run('exchange', () =>
      activities.exchangeAuthorizationCode({
        tenantId,
        slug,
        connectionId,
        providerId: input.providerId,
        redirectUri: input.redirectUri,
        actor,
      }),
    );

    state = { ...state, status: 'testing' };
    const account = await tracker.run('test', () =>
      activities.testConnection({
        tenantId,
        slug,
        connectionId,
        providerId: input.providerId,
        tokenPath: tokens.tokenPath,
      }),
    );

    await tracker.run('activate', () =>
      activities.activateConnection({
        tenantId,
        connectionId,
        accountId: account.accountId,
        accountName: account.accountName,
        scopes: tokens.scopes,
        tokenPath: tokens.tokenPath,
        tokenExpiresAt: tokens.expiresAt,
        actor,
      }),
    );
    if (patched(CONNECT_STARTS_MAINTENANCE_PATCH)) await startMaintenance(tokens.tokenPath, tokens.expiresAt);
    return null;
  }

  /** Starts the connection's maintenance, which outlives this workflow (one per connection). */
  async function startMaintenance(tokenPath: string, tokenExpiresAt: string | null): Promise<void> {
    try {
      await startChild<typeof maintainConnection>('maintainConnection', {
        workflowId: maintainConnectionWorkflowId(slug, connectionId),
        args: [
          {
            tenantId,
            slug,
            connectionId,
            providerId: input.providerId,
            tokenPath,
            tokenExpiresAt,
            refreshMarginMs: input.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS,
            timings,
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: TenantIdSearchAttribute, value: tenantId },
          { key: OperationKindSearchAttribute, value: MAINTAIN_CONNECTION_KIND },
          { key: ConnectionIdSearchAttribute, value: connectionId },
        ],
      });
    } catch (error) {
      // One is running already (a reconnect while the earlier one still ends): it keeps the tokens.
      log.warn('Connection maintenance not started', { connectionId, error: String(error) });
    }
  }
}

/** `8 seconds`, `10 minutes`: how long a person had. */
function inWords(ms: number): string {
  const [amount, unit] =
    ms < 60_000 ? [Math.max(1, Math.round(ms / 1000)), 'second'] : [Math.round(ms / 60_000), 'minute'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
