// The local billing adapter, the embedded default (no STRIPE_SECRET_KEY): customers and
// subscriptions recorded in Atrium's PostgreSQL, no payments. It keeps Stripe's contract
// where it matters to callers: the same idempotency key returns the first result, and
// cancelling or deleting what is gone succeeds. Every query runs in the tenant's scope.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { withTenantScope } from '../../db/scope.ts';
import { METER_NAMES } from '../../workflows/shared/meters.ts';
import type { Billing, BillingSubscription } from './port.ts';
import { BillingError } from './port.ts';

export function createLocalBilling({
  dataSource,
  plans,
  meters = METER_NAMES,
}: {
  dataSource: DataSource;
  plans: readonly string[];
  /** The meters it bills: every meter Atrium knows. */
  meters?: readonly string[];
}): Billing {
  return {
    kind: 'local',

    ensureCustomer(input, idempotencyKey) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(
          `INSERT INTO local_billing_customers (id, tenant_id, email, name, idempotency_key)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING`,
          [`lcus_${randomUUID()}`, input.tenantId, input.email, input.name, idempotencyKey],
        );
        const [row] = await db.query<Array<{ id: string; tenant_id: string }>>(
          `SELECT id, tenant_id FROM local_billing_customers WHERE idempotency_key = $1`,
          [idempotencyKey],
        );
        if (!row) throw reusedKey(idempotencyKey); // the key belongs to another tenant's row
        return { customerId: row.id };
      });
    },

    ensureSubscription(input, idempotencyKey): Promise<BillingSubscription> {
      if (!plans.includes(input.plan))
        return Promise.reject(
          new BillingError('invalid', `Unknown plan "${input.plan}" (plans: ${plans.join(', ')}).`),
        );
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        const customers = await db.query<unknown[]>(
          `SELECT 1 FROM local_billing_customers WHERE id = $1 AND deleted_at IS NULL`,
          [input.customerId],
        );
        if (customers.length === 0)
          throw new BillingError('not_found', `No billing customer ${input.customerId} for this tenant.`);
        await db.query(
          `INSERT INTO local_billing_subscriptions (id, tenant_id, customer_id, plan, status, idempotency_key)
           VALUES ($1, $2, $3, $4, 'active', $5) ON CONFLICT (idempotency_key) DO NOTHING`,
          [`lsub_${randomUUID()}`, input.tenantId, input.customerId, input.plan, idempotencyKey],
        );
        const [row] = await db.query<Array<{ id: string; status: string; plan: string }>>(
          `SELECT id, status, plan FROM local_billing_subscriptions WHERE idempotency_key = $1`,
          [idempotencyKey],
        );
        if (!row) throw reusedKey(idempotencyKey);
        return { subscriptionId: row.id, status: row.status, plan: row.plan };
      });
    },

    describeSubscription(input) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        const [row] = await db.query<Array<{ id: string; status: string; plan: string; created_at: Date }>>(
          `SELECT id, status, plan, created_at FROM local_billing_subscriptions WHERE id = $1`,
          [input.subscriptionId],
        );
        if (!row) throw new BillingError('not_found', `No subscription ${input.subscriptionId} for this tenant.`);
        return {
          subscriptionId: row.id,
          status: row.status,
          plan: plans.includes(row.plan) ? row.plan : null,
          currentPeriodEnd: monthlyPeriodEnd(row.created_at, new Date()),
        };
      });
    },

    changeSubscriptionPlan(input): Promise<BillingSubscription> {
      if (!plans.includes(input.plan))
        return Promise.reject(
          new BillingError('invalid', `Unknown plan "${input.plan}" (plans: ${plans.join(', ')}).`),
        );
      // Setting the plan is a value, so a repeat changes nothing: no key is needed to stay idempotent.
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(`UPDATE local_billing_subscriptions SET plan = $2 WHERE id = $1`, [
          input.subscriptionId,
          input.plan,
        ]);
        const [row] = await db.query<Array<{ id: string; status: string; plan: string }>>(
          `SELECT id, status, plan FROM local_billing_subscriptions WHERE id = $1`,
          [input.subscriptionId],
        );
        if (!row) throw new BillingError('not_found', `No subscription ${input.subscriptionId} for this tenant.`);
        return { subscriptionId: row.id, status: row.status, plan: row.plan };
      });
    },

    async cancelSubscription(input) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(
          `UPDATE local_billing_subscriptions SET status = 'canceled', canceled_at = now()
           WHERE id = $1 AND status = 'active'`,
          [input.subscriptionId],
        );
        const [row] = await db.query<Array<{ status: string }>>(
          `SELECT status FROM local_billing_subscriptions WHERE id = $1`,
          [input.subscriptionId],
        );
        return { subscriptionId: input.subscriptionId, found: row !== undefined, status: row?.status ?? null };
      });
    },

    async deleteCustomer(input) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(`UPDATE local_billing_customers SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, [
          input.customerId,
        ]);
        const [row] = await db.query<Array<{ deleted: boolean }>>(
          `SELECT deleted_at IS NOT NULL AS deleted FROM local_billing_customers WHERE id = $1`,
          [input.customerId],
        );
        return { customerId: input.customerId, found: row !== undefined, deleted: row?.deleted ?? true };
      });
    },

    planOfPrice(priceId) {
      // Local subscriptions name their plan where Stripe's name a price.
      return plans.includes(priceId) ? priceId : null;
    },

    billedMeters: () => meters,

    // No payments, so no invoices: the portal says so.
    listInvoices: () => Promise.resolve({ invoices: [], hasMore: false }),

    reportMeterEvent(input) {
      // The identifier is the key: a repeat stores nothing more, as Stripe deduplicates it.
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(
          `INSERT INTO local_billing_meter_events (identifier, tenant_id, customer_id, meter, value, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (identifier) DO NOTHING`,
          [input.identifier, input.tenantId, input.customerId, input.meter, input.value, input.timestamp],
        );
      });
    },

    cancelMeterEvent(input) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        await db.query(
          `UPDATE local_billing_meter_events SET cancelled_at = now() WHERE identifier = $1 AND cancelled_at IS NULL`,
          [input.identifier],
        );
      });
    },

    meterEventSummaries(input) {
      return withTenantScope(dataSource, input.tenantId, async (db) => {
        const rows = await db.query<Array<{ start: Date; value: string }>>(
          `SELECT date_trunc('hour', occurred_at) AS start, sum(value)::text AS value
           FROM local_billing_meter_events
           WHERE customer_id = $1 AND meter = $2 AND occurred_at >= $3 AND occurred_at < $4 AND cancelled_at IS NULL
           GROUP BY 1 ORDER BY 1`,
          [input.customerId, input.meter, input.start, input.end],
        );
        return rows.map((row) => ({ start: new Date(row.start), value: Number(row.value) }));
      });
    },

    async verify() {
      await dataSource.query(`SELECT 1 FROM local_billing_customers LIMIT 0`);
    },
  };
}

/** Local subscriptions bill monthly from the day they started: the end of the period `now` is in. */
export function monthlyPeriodEnd(start: Date, now: Date): Date {
  let months = (now.getUTCFullYear() - start.getUTCFullYear()) * 12 + (now.getUTCMonth() - start.getUTCMonth());
  const at = (n: number) => {
    const end = new Date(start);
    end.setUTCMonth(start.getUTCMonth() + n);
    return end;
  };
  while (at(months) <= now) months += 1;
  while (months > 1 && at(months - 1) > now) months -= 1;
  return at(months);
}

function reusedKey(idempotencyKey: string): BillingError {
  return new BillingError('invalid', `The idempotency key "${idempotencyKey}" was already used for another tenant.`);
}
