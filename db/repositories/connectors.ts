// Queries on the connector tables (db/migrations/1764400000000-CreateConnectors.ts). Tenant-owned
// tables are read in a tenant-scoped transaction (db/scope.ts) and every query names the tenant
// too; connector_provider_clients is platform data.
import type { EntityManager } from 'typeorm';
import type { ConnectionStatus } from '../../contracts/connectors.ts';

export type { ConnectionStatus };

/** Connections that count against the plan's `connectors` limit. */
export const LIVE_CONNECTION_STATUSES: readonly ConnectionStatus[] = [
  'pending',
  'active',
  'needs_reauth',
  'disconnecting',
];

export interface ConnectionRow {
  id: string;
  tenant_id: string;
  provider: string;
  name: string;
  status: ConnectionStatus;
  error_code: string | null;
  error_message: string | null;
  scopes: string[];
  account_id: string | null;
  account_name: string | null;
  token_path: string | null;
  token_expires_at: Date | null;
  workflow_id: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  connected_at: Date | null;
  /** When maintainConnection last stored refreshed tokens. */
  tokens_refreshed_at: Date | null;
  /** When the owners and admins were mailed that it needs re-authorization (once per episode). */
  reauth_mailed_at: Date | null;
  /** The last sync run of any of its syncs: when it ended, how, and its counts. */
  last_sync_at: Date | null;
  last_sync_status: 'succeeded' | 'failed' | null;
  last_sync_counts: { fetched: number; created: number; updated: number; unchanged: number } | null;
}

export async function insertConnection(
  db: EntityManager,
  row: Pick<ConnectionRow, 'id' | 'tenant_id' | 'provider' | 'name' | 'scopes' | 'workflow_id' | 'created_by'>,
): Promise<ConnectionRow> {
  const rows = await db.query<ConnectionRow[]>(
    `INSERT INTO connector_connections (id, tenant_id, provider, name, status, scopes, workflow_id, created_by)
     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING *`,
    [row.id, row.tenant_id, row.provider, row.name, row.scopes, row.workflow_id, row.created_by],
  );
  return rows[0]!;
}

export async function findConnection(
  db: EntityManager,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<ConnectionRow | null> {
  const rows = await db.query<ConnectionRow[]>(
    `SELECT * FROM connector_connections WHERE tenant_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export function listConnections(db: EntityManager, tenantId: string): Promise<ConnectionRow[]> {
  return db.query<ConnectionRow[]>(
    `SELECT * FROM connector_connections WHERE tenant_id = $1 ORDER BY created_at DESC, id`,
    [tenantId],
  );
}

export async function countLiveConnections(db: EntityManager, tenantId: string): Promise<number> {
  const rows = await db.query<Array<{ count: string }>>(
    `SELECT count(*) FROM connector_connections WHERE tenant_id = $1 AND status = ANY($2)`,
    [tenantId, LIVE_CONNECTION_STATUSES],
  );
  return Number(rows[0]!.count);
}

export type ConnectionChange = Partial<
  Pick<
    ConnectionRow,
    | 'status'
    | 'error_code'
    | 'error_message'
    | 'scopes'
    | 'account_id'
    | 'account_name'
    | 'token_path'
    | 'token_expires_at'
    | 'connected_at'
    | 'tokens_refreshed_at'
    | 'reauth_mailed_at'
  >
>;

export async function updateConnection(
  db: EntityManager,
  tenantId: string,
  id: string,
  change: ConnectionChange,
): Promise<ConnectionRow | null> {
  const entries = Object.entries(change);
  if (entries.length === 0) return findConnection(db, tenantId, id);
  const sets = entries.map(([column], index) => `${column} = $${index + 3}`);
  // Wrapped in a SELECT: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
  const rows = await db.query<ConnectionRow[]>(
    `WITH changed AS (
       UPDATE connector_connections SET ${sets.join(', ')}, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING *
     ) SELECT * FROM changed`,
    [tenantId, id, ...entries.map(([, value]) => value)],
  );
  return rows[0] ?? null;
}

export interface AuthorizationRow {
  connection_id: string;
  tenant_id: string;
  state_hash: string;
  user_id: string;
  workflow_id: string;
  expires_at: Date;
  used_at: Date | null;
}

/**
 * One pending authorization per connection: a retried preparation (or a reconnect, by whichever
 * member asks) replaces the one before.
 */
export async function putAuthorization(db: EntityManager, row: Omit<AuthorizationRow, 'used_at'>): Promise<void> {
  await db.query(
    `INSERT INTO connector_authorizations (connection_id, tenant_id, state_hash, user_id, workflow_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (connection_id) DO UPDATE
       SET state_hash = EXCLUDED.state_hash, expires_at = EXCLUDED.expires_at, used_at = NULL,
           user_id = EXCLUDED.user_id, workflow_id = EXCLUDED.workflow_id`,
    [row.connection_id, row.tenant_id, row.state_hash, row.user_id, row.workflow_id, row.expires_at],
  );
}

export async function findAuthorization(
  db: EntityManager,
  tenantId: string,
  connectionId: string,
): Promise<AuthorizationRow | null> {
  const rows = await db.query<AuthorizationRow[]>(
    `SELECT * FROM connector_authorizations WHERE tenant_id = $1 AND connection_id = $2`,
    [tenantId, connectionId],
  );
  return rows[0] ?? null;
}

/** Platform scope: the callback knows only the state. */
export async function findAuthorizationByStateHash(
  db: EntityManager,
  stateHash: string,
): Promise<AuthorizationRow | null> {
  const rows = await db.query<AuthorizationRow[]>(
    `SELECT * FROM connector_authorizations WHERE state_hash = $1 FOR UPDATE`,
    [stateHash],
  );
  return rows[0] ?? null;
}

export async function markAuthorizationUsed(db: EntityManager, tenantId: string, connectionId: string): Promise<void> {
  await db.query(`UPDATE connector_authorizations SET used_at = now() WHERE tenant_id = $1 AND connection_id = $2`, [
    tenantId,
    connectionId,
  ]);
}

/** Ends an authorization nobody used: it stays as a record, and a late callback is told it expired. */
export async function closeAuthorization(db: EntityManager, tenantId: string, connectionId: string): Promise<void> {
  await db.query(
    `UPDATE connector_authorizations SET expires_at = least(expires_at, now())
     WHERE tenant_id = $1 AND connection_id = $2 AND used_at IS NULL`,
    [tenantId, connectionId],
  );
}

export async function deleteAuthorization(db: EntityManager, tenantId: string, connectionId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH gone AS (
       DELETE FROM connector_authorizations WHERE tenant_id = $1 AND connection_id = $2 RETURNING connection_id
     ) SELECT * FROM gone`,
    [tenantId, connectionId],
  );
  return rows.length > 0;
}

export interface ProviderClientRow {
  provider: string;
  client_id: string;
  secret_path: string;
  updated_by: string | null;
  updated_at: Date;
}

export async function upsertProviderClient(
  db: EntityManager,
  row: Pick<ProviderClientRow, 'provider' | 'client_id' | 'secret_path' | 'updated_by'>,
): Promise<{ created: boolean }> {
  const rows = await db.query<Array<{ created: boolean }>>(
    `INSERT INTO connector_provider_clients (provider, client_id, secret_path, updated_by)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (provider) DO UPDATE
       SET client_id = EXCLUDED.client_id, secret_path = EXCLUDED.secret_path,
           updated_by = EXCLUDED.updated_by, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [row.provider, row.client_id, row.secret_path, row.updated_by],
  );
  return rows[0]!;
}

export async function findProviderClient(db: EntityManager, provider: string): Promise<ProviderClientRow | null> {
  const rows = await db.query<ProviderClientRow[]>(`SELECT * FROM connector_provider_clients WHERE provider = $1`, [
    provider,
  ]);
  return rows[0] ?? null;
}

export function listProviderClients(db: EntityManager): Promise<ProviderClientRow[]> {
  return db.query<ProviderClientRow[]>(`SELECT * FROM connector_provider_clients ORDER BY provider`);
}

export interface CustomProviderRow {
  id: string;
  tenant_id: string;
  definition: unknown;
  client_id: string;
  secret_path: string;
  created_by: string | null;
  created_at: Date;
}

export async function insertCustomProvider(
  db: EntityManager,
  row: Omit<CustomProviderRow, 'created_at'>,
): Promise<CustomProviderRow> {
  const rows = await db.query<CustomProviderRow[]>(
    `INSERT INTO connector_custom_providers (id, tenant_id, definition, client_id, secret_path, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [row.id, row.tenant_id, JSON.stringify(row.definition), row.client_id, row.secret_path, row.created_by],
  );
  return rows[0]!;
}

export async function findCustomProvider(
  db: EntityManager,
  tenantId: string,
  id: string,
): Promise<CustomProviderRow | null> {
  const rows = await db.query<CustomProviderRow[]>(
    `SELECT * FROM connector_custom_providers WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export function listCustomProviders(db: EntityManager, tenantId: string): Promise<CustomProviderRow[]> {
  return db.query<CustomProviderRow[]>(
    `SELECT * FROM connector_custom_providers WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
}
