// The provisioning step `billing`: the tenant's billing customer and its subscription to the
// plan, and their compensation.
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { billingIdempotencyKey, createTenantTeardown } from '../shared/tenant-teardown.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createBillingActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const { billing } = deps;
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * The tenant's billing customer and its subscription to the plan. Retry-safe: both
     * creates carry idempotency keys derived from the tenant id and the step, so a retry
     * gets the first customer and subscription back; each is audited when first recorded.
     */
    async createTenantBilling(input: StepInput & { name: string; ownerEmail: string; plan: string }): Promise<{
      customerId: string;
      subscriptionId: string;
      status: string;
      customerKey: string;
      subscriptionKey: string;
    }> {
      const customerKey = billingIdempotencyKey(input.tenantId, 'billing-customer');
      const subscriptionKey = billingIdempotencyKey(input.tenantId, 'billing-subscription');
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
        const resources = await lockTenantResources(db, input.tenantId);
        const { customerId } = await billing.ensureCustomer(
          { tenantId: input.tenantId, slug: input.slug, name: input.name, email: input.ownerEmail },
          customerKey,
        );
        if (resources.billingCustomerId !== customerId) {
          await updateTenantResources(db, input.tenantId, { billingCustomerId: customerId });
          await audit('tenant.billing_customer_created', 'billing_customer', customerId, {
            provider: billing.kind,
            idempotencyKey: customerKey,
          });
        }
        const subscription = await billing.ensureSubscription(
          { tenantId: input.tenantId, customerId, plan: input.plan },
          subscriptionKey,
        );
        if (resources.billingSubscriptionId !== subscription.subscriptionId) {
          await updateTenantResources(db, input.tenantId, { billingSubscriptionId: subscription.subscriptionId });
          await audit('tenant.billing_subscription_created', 'billing_subscription', subscription.subscriptionId, {
            provider: billing.kind,
            plan: input.plan,
            status: subscription.status,
            idempotencyKey: subscriptionKey,
          });
        }
        return {
          customerId,
          subscriptionId: subscription.subscriptionId,
          status: subscription.status,
          customerKey,
          subscriptionKey,
        };
      });
    },

    /**
     * Compensation of createTenantBilling: cancels the subscription and deletes the
     * customer it recorded. Retry-safe: cancelling or deleting what is gone succeeds.
     */
    async cancelTenantBilling(input: StepInput): Promise<void> {
      await lockedTenantStep(deps, input, (tx) => teardown.cancelBilling(tx, input));
    },
  };
}
