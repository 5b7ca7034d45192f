// customer.subscription.updated / .deleted: the tenant's plan follows the subscription's
// price (STRIPE_PRICES read backwards), and its signed license is reissued for that plan. A
// deleted subscription leaves the tenant on the free plan.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { lockTenantBilling, updateTenantBilling } from '../../db/repositories/billing.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { ensureTenantLicense } from '../shared/tenant-license.ts';

/** Where a tenant whose subscription was deleted stands. */
export const PLAN_WITHOUT_SUBSCRIPTION = 'free';

export function createSubscriptionActivities(deps: Pick<ActivityDeps, 'dataSource' | 'billing' | 'license'>) {
  return {
    /**
     * Records the subscription's status and makes the tenant's plan and license follow it.
     * Retry-safe: the plan and status are set to values (a second run finds them set), the
     * license is kept when it already is for the plan, and each change is audited once.
     */
    async followSubscription(input: {
      tenantId: string;
      slug: string;
      eventId: string;
      subscriptionId: string;
      status: string;
      priceIds: string[];
      deleted: boolean;
      actor: AuditActor;
    }): Promise<{ plan: string; licenseId: string | null; unknownPrices: string[] }> {
      const plans = input.priceIds.map((price) => deps.billing.planOfPrice(price));
      const unknownPrices = input.priceIds.filter((_, index) => plans[index] === null);
      const sold = plans.filter((plan): plan is string => plan !== null);
      return lockedTenantStep(deps, input, async ({ db, audit, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) return { plan: '', licenseId: null, unknownPrices };
        const billing = await lockTenantBilling(db, input.tenantId);
        if (billing.subscription_status !== input.status || billing.subscription_id !== input.subscriptionId) {
          await updateTenantBilling(db, input.tenantId, {
            subscriptionId: input.subscriptionId,
            subscriptionStatus: input.status,
            subscriptionEventId: input.eventId,
          });
          await auditChange(
            'billing.subscription_changed',
            'billing_subscription',
            input.subscriptionId,
            { status: billing.subscription_status },
            { status: input.status, eventId: input.eventId },
          );
        }
        // A price Atrium does not sell changes nothing: the plan stays (the audit entry names it).
        const plan = input.deleted ? PLAN_WITHOUT_SUBSCRIPTION : (sold[0] ?? tenant.plan);
        if (unknownPrices.length > 0 && sold.length === 0 && !input.deleted)
          await audit('billing.unknown_price', 'billing_subscription', input.subscriptionId, {
            priceIds: unknownPrices,
            eventId: input.eventId,
          });
        const license = await ensureTenantLicense(db, deps.license, {
          tenantId: input.tenantId,
          slug: input.slug,
          plan,
        });
        if (tenant.plan !== plan) {
          await db.query(`UPDATE tenants SET plan = $2, updated_at = now() WHERE id = $1`, [input.tenantId, plan]);
          await auditChange(
            'tenant.plan_changed',
            'tenant',
            input.tenantId,
            { plan: tenant.plan },
            { plan, subscriptionId: input.subscriptionId, eventId: input.eventId },
          );
          await emit('tenant.plan_changed', {
            tenantId: input.tenantId,
            slug: tenant.slug,
            from: tenant.plan,
            to: plan,
            licenseId: license.licenseId,
          });
        }
        if (license.issued)
          await audit('tenant.license_issued', 'license', license.licenseId, {
            tier: license.tier,
            keyId: license.keyId,
            features: planDefinition(plan).features,
            eventId: input.eventId,
          });
        return { plan, licenseId: license.licenseId, unknownPrices };
      });
    },
  };
}
