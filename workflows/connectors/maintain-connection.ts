// maintainConnection: keeps one connection's tokens fresh for as long as it is connected. It is
// the only code that refreshes them, so two refreshes never race and a rotated refresh token is
// never lost to a second refresh holding the old one. It refreshes on a durable timer before the
// access token expires (a margin, at most a third of the token's life, less some jitter so many
// connections do not refresh at one instant), and when a caller asks through the
// `requestTokenRefresh` Update: concurrent requests share one refresh. A provider that refuses the
// refresh for good (`invalid_grant`: the grant was revoked, or a refresh token was lost) ends it as
// `needs_reauth`: the connection says so and the tenant's owners and admins are mailed. A
// disconnect stops it before revoking. Long lives continue as new, after the handlers finished.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConnectorActivities } from '../../activities/connectors/index.ts';
import { seededFraction } from '../shared/seeded-fraction.ts';
import { describeFailure } from '../shared/step-tracker.ts';
import type {
  MaintainConnectionInput,
  MaintainConnectionResult,
  MaintenanceState,
  TokenReference,
  TokenRefreshRequest,
} from './contract.ts';
import {
  getMaintenanceStateQuery,
  REFRESH_REFUSED_TYPES,
  requestTokenRefreshUpdate,
  stopMaintenanceSignal,
} from './contract.ts';

/** Refreshes per run before continuing as new: keeps the history (and its Updates) small. */
export const REFRESHES_PER_RUN = 100;

/**
 * A token refreshed this recently is as fresh as the provider makes them: a caller asking for more
 * validity than a token ever has (or whose Update the server held back while others were in
 * flight) is answered with it instead of causing one more refresh.
 */
export const JUST_REFRESHED_MS = 10_000;

export async function maintainConnection(input: MaintainConnectionInput): Promise<MaintainConnectionResult> {
  const { tenantId, slug, connectionId, timings } = input;
  const activities = proxyActivities<ConnectorActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // A provider that is down is retried for as long as it takes (the token may lapse meanwhile:
    // callers wait); a refusal (non-retryable) ends the maintenance.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
  });

  let token: TokenReference = { tokenPath: input.tokenPath, expiresAt: input.tokenExpiresAt };
  let refreshesThisRun = 0;
  let refreshAt = dueAt(token.expiresAt, Date.now());
  let status: MaintenanceState['status'] = 'active';
  let stopReason: string | null = null;
  /** Set by a caller whose token is too close to expiry; cleared by the refresh that serves it. */
  let refreshWanted = false;
  /** Counts finished refreshes: a waiting caller is served by the first one after it asked. */
  let generation = 0;
  /** When the last refresh finished (workflow time); null: none in this run yet. */
  let refreshedAt: number | null = null;

  setHandler(getMaintenanceStateQuery, () => ({
    status,
    token,
    nextRefreshAt: refreshAt === null ? null : new Date(refreshAt).toISOString(),
    refreshes: (input.refreshesBefore ?? 0) + refreshesThisRun,
  }));
  setHandler(stopMaintenanceSignal, ({ reason }) => {
    stopReason ??= reason;
  });
  setHandler(
    requestTokenRefreshUpdate,
    async ({ minValidityMs }: TokenRefreshRequest): Promise<TokenReference> => {
      if (validFor(token, minValidityMs) || justRefreshed()) return token;
      const asked = generation;
      refreshWanted = true;
      await condition(() => generation > asked || status === 'needs_reauth' || stopReason !== null);
      if (generation > asked) return token;
      throw ApplicationFailure.nonRetryable(
        status === 'needs_reauth'
          ? 'The connection needs to be authorized again; its token cannot be refreshed.'
          : 'The connection is being disconnected.',
        'ConnectionUnavailable',
      );
    },
    {
      validator: ({ minValidityMs }: TokenRefreshRequest) => {
        if (!Number.isFinite(minValidityMs) || minValidityMs < 0 || minValidityMs > 3_600_000)
          throw new Error('minValidityMs must be between 0 and 3,600,000 ms.');
        if (status === 'needs_reauth') throw new Error('The connection needs to be authorized again.');
        if (stopReason !== null) throw new Error('The connection is being disconnected.');
      },
    },
  );

  for (;;) {
    // Until the refresh is due, a caller wants one, or a disconnect stops it.
    const due = refreshAt;
    if (due === null) await condition(() => refreshWanted || stopReason !== null);
    else await condition(() => refreshWanted || stopReason !== null, Math.max(1, due - Date.now()));
    if (stopReason !== null) break;

    status = 'refreshing';
    try {
      const refreshed = await activities.refreshConnectionTokens({
        tenantId,
        slug,
        connectionId,
        providerId: input.providerId,
        tokenPath: token.tokenPath,
        knownExpiresAt: token.expiresAt,
      });
      token = { tokenPath: refreshed.tokenPath, expiresAt: refreshed.expiresAt };
      refreshAt = dueAt(token.expiresAt, Date.now());
      refreshesThisRun += 1;
      generation += 1;
      refreshedAt = Date.now();
      refreshWanted = false;
      status = 'active';
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const type = error.cause instanceof ApplicationFailure ? error.cause.type : null;
      const reason = describeFailure(error);
      if (!type || !REFRESH_REFUSED_TYPES.includes(type)) throw error;
      status = 'needs_reauth';
      await activities.markConnectionNeedsReauth({ tenantId, slug, connectionId, code: type, message: reason });
      log.warn('Connection needs re-authorization', { connectionId, reason });
      await condition(allHandlersFinished);
      return { connectionId, outcome: 'needs_reauth', refreshes: total(), reason };
    }

    if (refreshesThisRun >= REFRESHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // Callers waiting on this refresh are answered before the run ends.
      await condition(allHandlersFinished);
      await continueAsNew<typeof maintainConnection>({
        ...input,
        tokenPath: token.tokenPath,
        tokenExpiresAt: token.expiresAt,
        refreshesBefore: total(),
      });
    }
  }

  status = 'stopped';
  await condition(allHandlersFinished);
  log.info('Connection maintenance stopped', { connectionId, reason: stopReason });
  return { connectionId, outcome: 'stopped', refreshes: total(), reason: null };

  function justRefreshed(): boolean {
    return (
      refreshedAt !== null &&
      Date.now() - refreshedAt < JUST_REFRESHED_MS &&
      (token.expiresAt === null || Date.parse(token.expiresAt) > Date.now())
    );
  }

  function total(): number {
    return (input.refreshesBefore ?? 0) + refreshesThisRun;
  }

  /** When to refresh a token expiring at `expiresAt` (ISO), seen at `now`; null: never. */
  function dueAt(expiresAt: string | null, now: number): number | null {
    if (expiresAt === null) return null;
    const expiry = Date.parse(expiresAt);
    const margin = Math.min(input.refreshMarginMs, Math.max(0, expiry - now) / 3);
    // Up to a fifth of the margin earlier: a fraction of its own for each connection and refresh,
    // so connections connected at one moment do not all refresh at one moment.
    return expiry - margin - Math.floor(seededFraction(`${connectionId}#${total()}`) * (margin / 5));
  }
}

function validFor(token: TokenReference, minValidityMs: number): boolean {
  return token.expiresAt === null || Date.parse(token.expiresAt) - Date.now() >= minValidityMs;
}
