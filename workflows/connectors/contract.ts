// The contract of the connectors family. connectConnector (`connector-connect/<slug>/<connection>`)
// takes one connection from "a member pressed Connect" to active: it prepares the authorization
// (PKCE, a single-use state that expires), waits for the provider's callback (the API's callback
// route signals it), exchanges the code, stores the tokens in the secret store and runs the
// connection test. disconnectConnector (`connector-disconnect/<slug>/<connection>`) revokes the
// tokens at the provider and deletes them. Only references to secrets travel here: secret store
// paths, never a code, a verifier or a token.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const CONNECT_CONNECTOR_KIND = 'connector-connect' satisfies OperationKind;
export const DISCONNECT_CONNECTOR_KIND = 'connector-disconnect' satisfies OperationKind;
export const MAINTAIN_CONNECTION_KIND = 'connection' satisfies OperationKind;
export const SYNC_CONNECTION_KIND = 'connector-sync' satisfies OperationKind;

export function connectConnectorWorkflowId(slug: string, connectionId: string): string {
  return OPERATION_CATALOGUE[CONNECT_CONNECTOR_KIND].workflowId({ slug, connectionId });
}

export function disconnectConnectorWorkflowId(slug: string, connectionId: string): string {
  return OPERATION_CATALOGUE[DISCONNECT_CONNECTOR_KIND].workflowId({ slug, connectionId });
}

export function maintainConnectionWorkflowId(slug: string, connectionId: string): string {
  return OPERATION_CATALOGUE[MAINTAIN_CONNECTION_KIND].workflowId({ slug, connectionId });
}

export interface ConnectConnectorInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  /** A catalog provider's id or a tenant-defined provider's (`custom-<uuid>`). */
  providerId: string;
  scopes: string[];
  /** The exact redirect URI registered at the provider (the portal's callback page). */
  redirectUri: string;
  /** The member connecting: the state is bound to them; only they may complete it. */
  userId: string;
  requestedBy: AuditActor;
  /** How long the member has to finish at the provider before the connect ends as `expired`. */
  connectTimeoutMs: number;
  /**
   * How early maintainConnection refreshes the access token (CONNECTOR_REFRESH_MARGIN). Absent
   * in connects started before maintenance existed.
   */
  refreshMarginMs?: number;
  timings: ActivityTimings;
}

/** How a connect ended; the connection's status says the same. */
export type ConnectOutcome = 'active' | 'expired' | 'failed';

export interface ConnectConnectorResult {
  connectionId: string;
  outcome: ConnectOutcome;
  progress: OperationProgress;
}

/**
 * What the callback route hands over: whether the provider sent a code (stored by the route in
 * the secret store, at the path the authorization named) or an error (`access_denied`, …).
 */
export type AuthorizationCallback =
  { outcome: 'code' } | { outcome: 'error'; error: string; description: string | null };

export const authorizationCallbackSignal = defineSignal<[AuthorizationCallback]>('authorizationCallback');

/** Where a connect is, for the API's status answers and the portal's live page. */
export interface ConnectState {
  status: 'preparing' | 'waiting-for-consent' | 'exchanging' | 'testing' | 'active' | 'expired' | 'failed';
  /** Where to send the member's browser; null until prepared and after the callback. */
  authorizationUrl: string | null;
  /** When the authorization stops being accepted (ISO). */
  expiresAt: string | null;
}

export const getConnectStateQuery = defineQuery<ConnectState>('getConnectState');

export const CONNECT_CONNECTOR_STEPS = [
  { name: 'authorize', title: 'Prepare the authorization request (PKCE, single-use state)' },
  { name: 'consent', title: 'Wait for the member to authorize at the provider' },
  { name: 'exchange', title: 'Exchange the authorization code and store the tokens in the secret store' },
  { name: 'test', title: 'Call the provider\'s "who am I" endpoint with the new token' },
  { name: 'activate', title: 'Mark the connection active' },
] as const;
export type ConnectConnectorStep = (typeof CONNECT_CONNECTOR_STEPS)[number]['name'];

export interface DisconnectConnectorInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  requestedBy: AuditActor;
  timings: ActivityTimings;
}

export interface DisconnectConnectorResult {
  connectionId: string;
  /** How the tokens were revoked at the provider (`rfc7009`, a custom method, or `none`). */
  revocation: string;
  progress: OperationProgress;
}

export const DISCONNECT_CONNECTOR_STEPS = [
  { name: 'revoke', title: "Revoke the connection's tokens at the provider" },
  { name: 'delete', title: 'Delete the tokens from the secret store and mark the connection disconnected' },
] as const;
export type DisconnectConnectorStep = (typeof DISCONNECT_CONNECTOR_STEPS)[number]['name'];

/** Stable failure types (ApplicationFailure.type) the activities end a connect with. */
export const CONNECT_FAILURE_TYPES = {
  access_denied: 'ConnectorAccessDenied',
  invalid_grant: 'ConnectorInvalidGrant',
  invalid_client: 'ConnectorClientRejected',
  refused: 'ConnectorAddressRefused',
  provider_error: 'ConnectorProviderError',
  unreachable: 'ConnectorUnreachable',
} as const;

/**
 * Where a connection's secrets live in the secret store (under the tenant's prefix, so a
 * tenant's AppRole could read its own and nothing else): the tokens, the PKCE verifier of the
 * pending authorization, and the callback's parameters the API hands over.
 */
export function connectionSecretPaths(slug: string, connectionId: string) {
  const base = `tenants/${slug}/connectors/${connectionId}`;
  return { tokens: `${base}/tokens`, pkce: `${base}/pkce`, callback: `${base}/callback` };
}

/** A catalog provider's client secret, set by a platform admin. */
export function providerClientSecretPath(providerId: string): string {
  return `platform/connectors/${providerId}/client`;
}

/** A tenant-defined provider's client secret. */
export function customProviderSecretPath(slug: string, providerId: string): string {
  return `tenants/${slug}/connector-providers/${providerId}/client`;
}

// maintainConnection (`connection/<slug>/<connection>`): one per active connection, started by
// connectConnector, the only place the connection's tokens are ever refreshed, so two refreshes
// never race. Callers (syncs) ask it for a fresh token with an Update that returns a reference
// (the secret store path and the expiry), never the token.

export interface MaintainConnectionInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  providerId: string;
  tokenPath: string;
  /** When the current access token expires (ISO); null: it does not (nothing to refresh on a timer). */
  tokenExpiresAt: string | null;
  /** Refresh this long before expiry (at most a third of the token's life), less a little jitter. */
  refreshMarginMs: number;
  timings: ActivityTimings;
  /** Refreshes done by earlier runs of this chain (continue-as-new). */
  refreshesBefore?: number;
}

/** Why the maintenance of a connection ended. */
export type MaintainConnectionOutcome = 'stopped' | 'needs_reauth';

export interface MaintainConnectionResult {
  connectionId: string;
  outcome: MaintainConnectionOutcome;
  refreshes: number;
  /** For `needs_reauth`: what the provider said, in words. */
  reason: string | null;
}

/** Where the connection's current token is: never the token itself. */
export interface TokenReference {
  tokenPath: string;
  /** ISO; null when the token does not expire. */
  expiresAt: string | null;
}

export interface TokenRefreshRequest {
  /** The caller needs the token to stay valid at least this long (ms); fresher tokens are answered at once. */
  minValidityMs: number;
}

/**
 * Asks for a token valid for `minValidityMs`: answered at once when the current one is, otherwise
 * after the one refresh that every concurrent request shares. Refused once the connection needs
 * re-authorization or is being disconnected.
 */
export const requestTokenRefreshUpdate = defineUpdate<TokenReference, [TokenRefreshRequest]>('requestTokenRefresh');

/** Sent by disconnectConnector before it revokes the tokens: the maintenance ends, refreshing nothing more. */
export const stopMaintenanceSignal = defineSignal<[{ reason: string }]>('stopMaintenance');

export interface MaintenanceState {
  status: 'active' | 'refreshing' | 'needs_reauth' | 'stopped';
  token: TokenReference;
  /** When the next refresh is due (ISO); null when the token does not expire. */
  nextRefreshAt: string | null;
  refreshes: number;
}

export const getMaintenanceStateQuery = defineQuery<MaintenanceState>('getMaintenanceState');

/** The failure type of a refresh the provider refused for good (the grant is gone). */
export const REFRESH_REFUSED_TYPES: readonly string[] = [
  CONNECT_FAILURE_TYPES.invalid_grant,
  CONNECT_FAILURE_TYPES.invalid_client,
];

// syncConnection: one run of a sync definition, started by its Temporal Schedule
// (`connector-sync/<slug>/<connection>/<sync>`, which is also the prefix of each run's workflow
// ID). Its paging activity reads the connection's current token reference, asks
// maintainConnection for a refresh only when the token is near expiry, heartbeats with the page
// cursor, and upserts the records; the run's row keeps its counts.

/** The sync's schedule id, and the prefix of the workflow ID of each run it starts. */
export function syncScheduleId(slug: string, connectionId: string, syncId: string): string {
  return OPERATION_CATALOGUE[SYNC_CONNECTION_KIND].workflowId({ slug, connectionId, syncId });
}

/** The schedule's argument: JSON only, no secrets (it is stored in the schedule). */
export interface SyncConnectionInput {
  tenantId: string;
  slug: string;
  connectionId: string;
  syncId: string;
  timings: ActivityTimings;
}

export interface SyncCounts {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
}

export interface SyncConnectionResult {
  syncId: string;
  status: 'succeeded' | 'failed';
  pages: number;
  counts: SyncCounts;
  /** For `failed`: why, in words. */
  error: string | null;
}

/** What the paging activity heartbeats: the pages done and where the next one is. */
export interface SyncPageProgress {
  /** Pages stored so far. */
  page: number;
  /** The next page's URL (on the provider's API base URL); null: no more pages. */
  cursor: string | null;
}

/** Stable failure types of a sync run. */
export const SYNC_FAILURE_TYPES = {
  /** The connection needs re-authorization (or is gone): the run cannot get a token. */
  connectionUnavailable: 'SyncConnectionUnavailable',
  /** The provider refused the request (4xx other than 401 and 429), or answered what is not a page. */
  providerRefused: 'SyncProviderRefused',
  /** The sync was deleted while its run was due. */
  syncMissing: 'SyncMissing',
} as const;
