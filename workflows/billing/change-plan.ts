// changePlan: moves a tenant to another plan (`tenant-plan/<slug>/<n>`).
//
//   check        the tenant's usage fits the target (members, environments, connectors, API
//                keys); a downgrade it exceeds is refused, naming what to remove
//   wait         a downgrade at `period-end` sleeps on a durable timer until the billing period
//                ends (the tenant keeps what it paid for), and can be cancelled meanwhile; the
//                fit is checked again when it falls due, since usage may have grown
//   subscription the subscription moves to the plan's price: prorated now for an upgrade or an
//                immediate downgrade, from the next period otherwise (idempotency key per step)
//   cluster      the plan's ResourceQuota and LimitRange in each of the tenant's namespaces
//   license      the plan recorded on the tenant and a signed license reissued for it, audited,
//                with a `tenant.plan_changed` event
//
// Every step is safe to repeat. A refusal or a failure no retry can fix ends the operation with
// its progress, and the change's row says why. Stripe's `customer.subscription.updated` that
// follows finds the plan already set: the billing workflow changes nothing then.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { ChangePlanInput, ChangePlanResult, ChangePlanStep } from './contract.ts';
import { cancelPlanChangeSignal, CHANGE_PLAN_KIND, CHANGE_PLAN_STEPS } from './contract.ts';

export async function changePlan(input: ChangePlanInput): Promise<ChangePlanResult> {
  const { tenantId, slug, number, to, direction, timing, requestedBy: actor, timings } = input;
  const activities = proxyActivities<BillingActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: a change under way must complete; non-retryable failures (a price Stripe
    // refuses, a plan that is not configured) end it at once.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<ChangePlanStep>(CHANGE_PLAN_KIND, tenantId, CHANGE_PLAN_STEPS);
  const change = { tenantId, number, actor };

  let cancelledBy: AuditActor | null = null;
  let waiting = false;
  setHandler(cancelPlanChangeSignal, ({ actor: by }) => {
    // Only a change still waiting for its date can be cancelled; one under way completes.
    if (waiting && !cancelledBy) cancelledBy = by;
  });

  async function refuseIfExceeded(): Promise<void> {
    const fit = await tracker.run('check', () => activities.checkPlanFits({ tenantId, plan: to, actor }));
    if (fit.blockers.length === 0) return;
    const message = `The ${to} plan does not fit "${slug}": ${fit.blockers.map((b) => b.message).join(' ')}`;
    tracker.fail('check', message);
    await activities.recordPlanChangeStatus({ ...change, status: 'refused', detail: message });
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'PlanChangeRefused', tracker.snapshot());
  }

  try {
    await refuseIfExceeded();

    if (direction === 'downgrade' && timing === 'period-end') {
      const { effectiveAt } = await tracker.run('wait', async () => {
        const period = await activities.readBillingPeriodEnd({ tenantId, actor });
        // A tenant with no subscription (or a period already over) changes at once.
        const at = period.currentPeriodEnd ? Math.max(period.currentPeriodEnd, Date.now()) : Date.now();
        await activities.recordPlanChangeStatus({ ...change, status: 'scheduled', effectiveAt: at });
        waiting = true;
        const cancelled = await condition(() => cancelledBy !== null, Math.max(0, at - Date.now()));
        waiting = false;
        return { effectiveAt: cancelled ? null : at };
      });
      if (effectiveAt === null) {
        await activities.recordPlanChangeStatus({ ...change, actor: cancelledBy!, status: 'cancelled' });
        tracker.setPhase('cancelled', 'The downgrade was cancelled before it took effect.');
        log.info('Plan change cancelled', { tenantId, slug, number });
        return {
          tenantId,
          number,
          status: 'cancelled',
          plan: input.from,
          licenseId: null,
          progress: tracker.snapshot(),
        };
      }
      // Usage may have grown while the change waited.
      await refuseIfExceeded();
    } else {
      tracker.skip('wait', direction === 'upgrade' ? 'Upgrades take effect at once.' : 'Asked to take effect now.');
    }

    const subscription = await tracker.run('subscription', () =>
      activities.changeSubscriptionPlan({
        tenantId,
        plan: to,
        prorate: timing === 'now' || direction === 'upgrade',
        idempotencyKey: `${workflowInfo().workflowId}/subscription`,
        actor,
      }),
    );
    if (subscription.skipped) tracker.skip('subscription', subscription.skipped);
    const quotas = await tracker.run('cluster', () => activities.applyPlanQuotas({ tenantId, slug, plan: to, actor }));
    if (quotas.skipped) tracker.skip('cluster', quotas.skipped);
    const { licenseId } = await tracker.run('license', () =>
      activities.applyPlanChange({ tenantId, slug, number, plan: to, actor }),
    );
    tracker.setPhase('completed');
    log.info('Plan changed', { tenantId, slug, number, plan: to });
    return { tenantId, number, status: 'applied', plan: to, licenseId, progress: tracker.snapshot() };
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const message = `Changing the plan of "${slug}" to ${to} stopped: ${describeFailure(error)}`;
    await activities.recordPlanChangeStatus({ ...change, status: 'failed', detail: message });
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'PlanChangeFailed', tracker.snapshot());
  }
}
