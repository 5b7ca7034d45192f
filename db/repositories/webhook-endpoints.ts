// Queries on webhook_endpoints. Run them in a tenant-scoped transaction (db/scope.ts): the
// table is guarded by row-level security, and every query names the tenant as well.
import type { EntityManager } from 'typeorm';

export interface WebhookEndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  event_types: string[];
  status: 'enabled' | 'paused' | 'disabled';
  disabled_reason: string | null;
  secret_path: string;
  secret_version: number;
  previous_secret_version: number | null;
  previous_secret_expires_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export function listWebhookEndpoints(db: EntityManager, tenantId: string): Promise<WebhookEndpointRow[]> {
  return db.query<WebhookEndpointRow[]>(
    `SELECT * FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at DESC, id`,
    [tenantId],
  );
}

/** The endpoint, locked for the rest of the transaction when `lock` is set (changes, rotations). */
export async function findWebhookEndpoint(
  db: EntityManager,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<WebhookEndpointRow | null> {
  const rows = await db.query<WebhookEndpointRow[]>(
    `SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export async function insertWebhookEndpoint(
  db: EntityManager,
  row: Pick<
    WebhookEndpointRow,
    'id' | 'tenant_id' | 'url' | 'description' | 'event_types' | 'secret_path' | 'secret_version' | 'created_by'
  >,
): Promise<WebhookEndpointRow> {
  const rows = await db.query<WebhookEndpointRow[]>(
    `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret_path, secret_version, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      row.id,
      row.tenant_id,
      row.url,
      row.description,
      row.event_types,
      row.secret_path,
      row.secret_version,
      row.created_by,
    ],
  );
  return rows[0]!;
}

export type WebhookEndpointChange = Partial<
  Pick<
    WebhookEndpointRow,
    | 'url'
    | 'description'
    | 'event_types'
    | 'status'
    | 'disabled_reason'
    | 'secret_version'
    | 'previous_secret_version'
    | 'previous_secret_expires_at'
  >
>;

export async function updateWebhookEndpoint(
  db: EntityManager,
  tenantId: string,
  id: string,
  change: WebhookEndpointChange,
): Promise<WebhookEndpointRow> {
  const columns = Object.keys(change) as Array<keyof WebhookEndpointChange>;
  const sets = columns.map((column, index) => `${column} = $${index + 3}`);
  // Wrapped in a SELECT: TypeORM answers a bare UPDATE ... RETURNING with [rows, count].
  const rows = await db.query<WebhookEndpointRow[]>(
    `WITH changed AS (
       UPDATE webhook_endpoints SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE tenant_id = $1 AND id = $2 RETURNING *
     ) SELECT * FROM changed`,
    [tenantId, id, ...columns.map((column) => change[column])],
  );
  return rows[0]!;
}

export async function deleteWebhookEndpoint(db: EntityManager, tenantId: string, id: string): Promise<void> {
  await db.query(`DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
}
