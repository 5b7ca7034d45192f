// The connector pages' calls to /api/v1/tenants/:slug/connectors… and …/connections
// (api/connectors/) with their syncs, and the callback page's hand-over to POST /api/v1/connectors/callback.
import type { RouterContextProvider } from 'react-router';
import type { ApiResult } from '../api/client.server.ts';
import { callApi } from '../api/client.server.ts';
import { tenantApiPath } from '../api/tenant-action.server.ts';
import type {
  Connection,
  ConnectionList,
  ConnectionStarted,
  ConnectorCallbackAccepted,
  ConnectionSync,
  ConnectionSyncList,
  ConnectorProviderList,
  CreateSyncRequest,
  DisconnectStarted,
  SyncRunList,
} from '../../../contracts/index.ts';
import { ConnectorCallbackRequest, CreateConnectionRequest } from '../../../contracts/index.ts';

interface Call {
  context: Readonly<RouterContextProvider>;
  token: string;
  signal?: AbortSignal;
}

export const connectionsApiPath = (slug: string) => `${tenantApiPath(slug)}/connections`;
export const connectionApiPath = (slug: string, id: string) => `${connectionsApiPath(slug)}/${encodeURIComponent(id)}`;

export function listProviders(
  { context, token, signal }: Call,
  slug: string,
): Promise<ApiResult<ConnectorProviderList>> {
  return callApi(context, `${tenantApiPath(slug)}/connectors/providers`, { token, ...(signal ? { signal } : {}) });
}

export function listConnections({ context, token, signal }: Call, slug: string): Promise<ApiResult<ConnectionList>> {
  return callApi(context, connectionsApiPath(slug), { token, ...(signal ? { signal } : {}) });
}

export function getConnection(
  { context, token, signal }: Call,
  slug: string,
  id: string,
): Promise<ApiResult<Connection>> {
  return callApi(context, connectionApiPath(slug, id), { token, ...(signal ? { signal } : {}) });
}

/** The Connect button: starts the connect; the page then sends the browser to the provider. */
export function connect(
  { context, token }: Call,
  slug: string,
  provider: string,
): Promise<ApiResult<ConnectionStarted>> {
  const parsed = CreateConnectionRequest.safeParse({ provider });
  if (!parsed.success)
    return Promise.resolve({
      ok: false,
      status: 422,
      problem: { type: 'about:blank', title: 'Choose a provider from the list', status: 422 },
    });
  return callApi(context, connectionsApiPath(slug), { method: 'POST', token, body: parsed.data });
}

export function disconnect({ context, token }: Call, slug: string, id: string): Promise<ApiResult<DisconnectStarted>> {
  return callApi(context, connectionApiPath(slug, id), { method: 'DELETE', token });
}

/** What the provider put on the redirect URI, as the API's schema reads it (null: not a callback). */
export function callbackFrom(url: URL): ReturnType<typeof ConnectorCallbackRequest.safeParse> {
  const body: Record<string, string> = {};
  for (const key of ['state', 'code', 'error', 'error_description', 'iss']) {
    const value = url.searchParams.get(key);
    if (value !== null) body[key] = value;
  }
  return ConnectorCallbackRequest.safeParse(body);
}

export function handOverCallback(
  { context, token }: Call,
  body: Record<string, string>,
): Promise<ApiResult<ConnectorCallbackAccepted>> {
  return callApi(context, '/api/v1/connectors/callback', { method: 'POST', token, body });
}

/** Reconnect in place: a new connect for the same connection; the page then sends the browser to the provider. */
export function reconnect({ context, token }: Call, slug: string, id: string): Promise<ApiResult<ConnectionStarted>> {
  return callApi(context, `${connectionApiPath(slug, id)}/reconnect`, { method: 'POST', token });
}

// A connection's scheduled syncs (api/connectors/sync-routes.ts).
export const syncsApiPath = (slug: string, connectionId: string) => `${connectionApiPath(slug, connectionId)}/syncs`;
const syncApiPath = (slug: string, connectionId: string, syncId: string) =>
  `${syncsApiPath(slug, connectionId)}/${encodeURIComponent(syncId)}`;

export function listSyncs(
  { context, token, signal }: Call,
  slug: string,
  connectionId: string,
): Promise<ApiResult<ConnectionSyncList>> {
  return callApi(context, syncsApiPath(slug, connectionId), { token, ...(signal ? { signal } : {}) });
}

export function listSyncRuns(
  { context, token, signal }: Call,
  slug: string,
  connectionId: string,
  syncId: string,
): Promise<ApiResult<SyncRunList>> {
  return callApi(context, `${syncApiPath(slug, connectionId, syncId)}/runs`, {
    token,
    ...(signal ? { signal } : {}),
  });
}

export function createSync(
  { context, token }: Call,
  slug: string,
  connectionId: string,
  body: CreateSyncRequest,
): Promise<ApiResult<ConnectionSync>> {
  return callApi(context, syncsApiPath(slug, connectionId), { method: 'POST', token, body });
}

export type SyncAction = 'pause' | 'resume' | 'run';

export function syncAction(
  { context, token }: Call,
  slug: string,
  connectionId: string,
  syncId: string,
  action: SyncAction,
): Promise<ApiResult<ConnectionSync>> {
  return callApi(context, `${syncApiPath(slug, connectionId, syncId)}/${action}`, { method: 'POST', token });
}

export function deleteSync(
  { context, token }: Call,
  slug: string,
  connectionId: string,
  syncId: string,
): Promise<ApiResult<unknown>> {
  return callApi(context, syncApiPath(slug, connectionId, syncId), { method: 'DELETE', token });
}
