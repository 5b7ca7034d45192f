// Hands a Stripe event to the tenant's billing workflow (tenantBilling), starting it when it is
// not running: signal-with-start on `tenant-billing/<slug>`, so however many API processes
// receive Stripe's deliveries, a tenant has one billing workflow.
import type { tenantBilling } from '../../workflows/billing/tenant-billing.ts';
import type { BillingPolicy, StripeEventRef } from '../../workflows/billing/contract.ts';
import { stripeEventSignal, TENANT_BILLING_KIND, tenantBillingWorkflowId } from '../../workflows/billing/contract.ts';
import type { StarterOptions } from '../operations/start-operation.ts';
import { signalWithStartOperation } from '../operations/start-operation.ts';

export function handStripeEventOver(
  options: StarterOptions,
  input: { tenantId: string; slug: string; policy: BillingPolicy; event: StripeEventRef },
): Promise<{ workflowId: string; runId: string }> {
  const { tenantId, slug, policy, event } = input;
  return signalWithStartOperation(options, {
    kind: TENANT_BILLING_KIND,
    workflowId: tenantBillingWorkflowId(slug),
    tenantId,
    args: [
      { tenantId, slug, taskQueuePrefix: options.taskQueuePrefix, policy, timings: options.timings },
    ] satisfies Parameters<typeof tenantBilling>,
    signal: stripeEventSignal.name,
    signalArgs: [event] satisfies [StripeEventRef],
  });
}
