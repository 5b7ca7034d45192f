// What provisioning built for a tenant outside its tenants row (tenant_resources, under
// row-level security): each step records what it made, so a retry knows whether it changed
// anything (and audits once) and a compensation knows what to undo.
import type { EntityManager } from 'typeorm';

export interface TenantResources {
  databaseRole: string | null;
  secretPolicy: string | null;
  billingCustomerId: string | null;
  billingSubscriptionId: string | null;
  clusterNamespaces: string[];
  welcomeSentAt: Date | null;
}

const EMPTY: TenantResources = {
  databaseRole: null,
  secretPolicy: null,
  billingCustomerId: null,
  billingSubscriptionId: null,
  clusterNamespaces: [],
  welcomeSentAt: null,
};

const COLUMNS = {
  databaseRole: 'database_role',
  secretPolicy: 'secret_policy',
  billingCustomerId: 'billing_customer_id',
  billingSubscriptionId: 'billing_subscription_id',
  clusterNamespaces: 'cluster_namespaces',
  welcomeSentAt: 'welcome_sent_at',
} as const satisfies Record<keyof TenantResources, string>;

/** The tenant's record, locked for this transaction (created empty if absent). */
export async function lockTenantResources(db: EntityManager, tenantId: string): Promise<TenantResources> {
  await db.query(`INSERT INTO tenant_resources (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId]);
  const [row] = await db.query<Array<Record<string, unknown>>>(
    `SELECT * FROM tenant_resources WHERE tenant_id = $1 FOR UPDATE`,
    [tenantId],
  );
  return toResources(row);
}

export async function updateTenantResources(
  db: EntityManager,
  tenantId: string,
  changes: Partial<TenantResources>,
): Promise<void> {
  const entries = Object.entries(changes) as Array<[keyof TenantResources, unknown]>;
  if (entries.length === 0) return;
  const sets = entries.map(([key], index) => `${COLUMNS[key]} = $${index + 2}`);
  await db.query(`UPDATE tenant_resources SET ${sets.join(', ')}, updated_at = now() WHERE tenant_id = $1`, [
    tenantId,
    ...entries.map(([, value]) => value),
  ]);
}

/** The tenant's record as it stands, without locking it (the admin console reads it). */
export async function readTenantResources(db: EntityManager, tenantId: string): Promise<TenantResources> {
  const [row] = await db.query<Array<Record<string, unknown>>>(`SELECT * FROM tenant_resources WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return toResources(row);
}

function toResources(row: Record<string, unknown> | undefined): TenantResources {
  if (!row) return { ...EMPTY };
  return {
    databaseRole: row.database_role as string | null,
    secretPolicy: row.secret_policy as string | null,
    billingCustomerId: row.billing_customer_id as string | null,
    billingSubscriptionId: row.billing_subscription_id as string | null,
    clusterNamespaces: (row.cluster_namespaces as string[] | null) ?? [],
    welcomeSentAt: row.welcome_sent_at as Date | null,
  };
}
