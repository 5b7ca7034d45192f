// Queries on the billing tables: the Stripe event inbox (stripe_events: written in platform
// scope by the webhook route, whose tenant is known only after the lookup; a tenant's
// transaction sees its own rows) and a tenant's billing standing (tenant_billing, tenant-owned).
import type { EntityManager } from 'typeorm';
import { listOwnerAndAdminAddresses } from './memberships.ts';

export interface StripeEventRow {
  event_id: string;
  type: string;
  stripe_created_at: Date;
  livemode: boolean;
  customer_id: string | null;
  tenant_id: string | null;
  received_at: Date;
  handed_over_at: Date | null;
  workflow_id: string | null;
  handled_at: Date | null;
  outcome: string | null;
}

/** The tenant whose billing customer this is (provisioning recorded it in tenant_resources). Platform scope. */
export async function findTenantByBillingCustomer(
  db: EntityManager,
  customerId: string,
): Promise<{ id: string; slug: string; status: string } | null> {
  const rows = await db.query<Array<{ id: string; slug: string; status: string }>>(
    `SELECT t.id, t.slug, t.status FROM tenant_resources r JOIN tenants t ON t.id = r.tenant_id
     WHERE r.billing_customer_id = $1 ORDER BY t.created_at DESC LIMIT 1`,
    [customerId],
  );
  return rows[0] ?? null;
}

/**
 * Stores the event unless its id is stored already (then only a missing tenant is filled in). Returns the row as it now stands and
 * whether this call inserted it. Platform scope.
 */
export async function storeStripeEvent(
  db: EntityManager,
  event: {
    eventId: string;
    type: string;
    created: Date;
    livemode: boolean;
    customerId: string | null;
    tenantId: string | null;
    payload: unknown;
  },
): Promise<{ row: StripeEventRow; inserted: boolean }> {
  // A repeat fills in the tenant when the first delivery came before its customer was known.
  const [written] = await db.query<Array<{ inserted: boolean }>>(
    `INSERT INTO stripe_events (event_id, type, stripe_created_at, livemode, customer_id, tenant_id, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (event_id) DO UPDATE SET tenant_id = coalesce(stripe_events.tenant_id, EXCLUDED.tenant_id)
     RETURNING (xmax = 0) AS inserted`,
    [
      event.eventId,
      event.type,
      event.created,
      event.livemode,
      event.customerId,
      event.tenantId,
      JSON.stringify(event.payload),
    ],
  );
  const [row] = await db.query<StripeEventRow[]>(
    `SELECT event_id, type, stripe_created_at, livemode, customer_id, tenant_id, received_at, handed_over_at,
            workflow_id, handled_at, outcome
     FROM stripe_events WHERE event_id = $1 FOR UPDATE`,
    [event.eventId],
  );
  return { row: row!, inserted: written?.inserted === true };
}

export async function markStripeEventHandedOver(db: EntityManager, eventId: string, workflowId: string): Promise<void> {
  await db.query(
    `UPDATE stripe_events SET handed_over_at = coalesce(handed_over_at, now()), workflow_id = $2 WHERE event_id = $1`,
    [eventId, workflowId],
  );
}

/** Records what the workflow did with the event; the first outcome stays. Returns whether it changed. */
export async function recordStripeEventOutcome(
  db: EntityManager,
  tenantId: string,
  eventId: string,
  outcome: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH marked AS (
       UPDATE stripe_events SET handled_at = now(), outcome = $3
       WHERE tenant_id = $1 AND event_id = $2 AND handled_at IS NULL RETURNING event_id
     )
     SELECT event_id FROM marked`,
    [tenantId, eventId, outcome],
  );
  return rows.length > 0;
}

export async function listTenantStripeEvents(
  db: EntityManager,
  tenantId: string,
  limit: number,
): Promise<StripeEventRow[]> {
  return db.query<StripeEventRow[]>(
    `SELECT event_id, type, stripe_created_at, livemode, customer_id, tenant_id, received_at, handed_over_at,
            workflow_id, handled_at, outcome
     FROM stripe_events WHERE tenant_id = $1 ORDER BY received_at DESC, event_id LIMIT $2`,
    [tenantId, limit],
  );
}

export type BillingStanding = 'in-good-standing' | 'dunning' | 'suspended';

export interface TenantBillingRow {
  tenant_id: string;
  standing: BillingStanding;
  dunning_started_by: string | null;
  dunning_invoice_ids: string[];
  dunning_since: Date | null;
  grace_ends_at: Date | null;
  dunning_mailed_at: Date | null;
  dunning_recipients: string[];
  suspension_number: number | null;
  suspension_skipped: string | null;
  subscription_id: string | null;
  subscription_status: string | null;
  subscription_event_id: string | null;
  updated_at: Date;
}

/** The tenant's billing row, locked for this transaction (created in good standing if absent). */
export async function lockTenantBilling(db: EntityManager, tenantId: string): Promise<TenantBillingRow> {
  await db.query(`INSERT INTO tenant_billing (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId]);
  const [row] = await db.query<TenantBillingRow[]>(`SELECT * FROM tenant_billing WHERE tenant_id = $1 FOR UPDATE`, [
    tenantId,
  ]);
  return row!;
}

export async function readTenantBilling(db: EntityManager, tenantId: string): Promise<TenantBillingRow | null> {
  const [row] = await db.query<TenantBillingRow[]>(`SELECT * FROM tenant_billing WHERE tenant_id = $1`, [tenantId]);
  return row ?? null;
}

const COLUMNS = {
  standing: 'standing',
  dunningStartedBy: 'dunning_started_by',
  dunningInvoiceIds: 'dunning_invoice_ids',
  dunningSince: 'dunning_since',
  graceEndsAt: 'grace_ends_at',
  dunningMailedAt: 'dunning_mailed_at',
  dunningRecipients: 'dunning_recipients',
  suspensionNumber: 'suspension_number',
  suspensionSkipped: 'suspension_skipped',
  subscriptionId: 'subscription_id',
  subscriptionStatus: 'subscription_status',
  subscriptionEventId: 'subscription_event_id',
} as const;

export type TenantBillingChanges = Partial<Record<keyof typeof COLUMNS, unknown>>;

export async function updateTenantBilling(
  db: EntityManager,
  tenantId: string,
  changes: TenantBillingChanges,
): Promise<void> {
  const entries = Object.entries(changes) as Array<[keyof typeof COLUMNS, unknown]>;
  if (entries.length === 0) return;
  const sets = entries.map(([key], index) => `${COLUMNS[key]} = $${index + 2}`);
  await db.query(`UPDATE tenant_billing SET ${sets.join(', ')}, updated_at = now() WHERE tenant_id = $1`, [
    tenantId,
    ...entries.map(([, value]) => value),
  ]);
}

/** Who gets billing mails: the tenant's owners and admins. */
export function listBillingContacts(
  db: EntityManager,
  tenantId: string,
): Promise<Array<{ user_id: string; email: string; role: string }>> {
  return listOwnerAndAdminAddresses(db, tenantId);
}
