// The billing family's activities: what tenantBilling does with a tenant's Stripe events —
// dunning and its mails (dunning.ts), the questions asked before a billing suspension or its
// lifting (suspension.ts), the plan and license following the subscription (subscription.ts),
// the inbox row's outcome (inbox.ts), changePlan's steps (plan-change.ts) and the approval
// primitive's activities (workflows/approvals/) for changes that wait for approval.
import { createApprovalActivities } from '../approvals/index.ts';
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createDunningActivities } from './dunning.ts';
import { createInboxActivities } from './inbox.ts';
import { createPlanChangeActivities } from './plan-change.ts';
import { createSubscriptionActivities } from './subscription.ts';
import { createBillingSuspensionActivities } from './suspension.ts';

export function createBillingActivities(deps: ActivityDeps) {
  return {
    ...createDunningActivities(deps),
    ...createBillingSuspensionActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createInboxActivities(deps),
    ...createPlanChangeActivities(deps),
    // The approval primitive's, for plan changes into a plan that needs approval.
    ...createApprovalActivities(deps),
  };
}
export type BillingActivities = ReturnType<typeof createBillingActivities>;

export default {
  // One event of one tenant at a time per workflow; few tenants are in dunning at once.
  defaultActivitySlots: 3,
  createActivities: createBillingActivities,
} satisfies ActivityFamily;
