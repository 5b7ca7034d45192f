// changePlan: moves a tenant to another plan (`tenant-plan/<slug>/<n>`).
//
//   check        the tenant's usage fits the target (members, environments, connectors, API
//                keys); a downgrade it exceeds is refused, naming what to remove
//   approval     only for a target in APPROVAL_PLANS (input.approval): a platform admin other
//                than the requester approves, on the approval primitive (workflows/approvals/),
//                as for a tenant provisioned on that plan; a rejection or no decision in time
//                ends the change `rejected` with the reason, the plan unchanged
//   wait         a downgrade at `period-end` sleeps on a durable timer until the billing period
//                ends (the tenant keeps what it paid for), and can be cancelled meanwhile; the
//                fit is checked again when it falls due, since usage may have grown
//   subscription the subscription moves to the plan's price: prorated now for an upgrade or an
//                immediate downgrade, from the next period otherwise (idempotency key per step)
//   cluster      the plan's ResourceQuota and LimitRange in each of the tenant's namespaces
//   license      the plan recorded on the tenant and a signed license reissued for it, audited,
//                with a `tenant.plan_changed` event
//
// A Temporal cancel ends the change wherever it waits (the approval, the period's end): an
// offboarding cancels the tenant's open change this way, then records it `cancelled` itself
// (activities/tenant-offboarding/plan-changes.ts).
//
// Every step is safe to repeat. A refusal or a failure no retry can fix ends the operation with
// its progress, and the change's row says why. Stripe's `customer.subscription.updated` that
// follows finds the plan already set: the billing workflow changes nothing then.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing/index.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { awaitApproval } from '../approvals/gate.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { ChangePlanInput, ChangePlanResult, ChangePlanStep } from './contract.ts';
import {
  cancelPlanChangeSignal,
  CHANGE_PLAN_APPROVAL_PATCH,
  CHANGE_PLAN_APPROVAL_STEP,
  CHANGE_PLAN_KIND,
  CHANGE_PLAN_STEPS,
} from './contract.ts';

export async function changePlan(input: ChangePlanInput): Promise<ChangePlanResult> {
  const { tenantId, slug, number, to, direction, timing, requestedBy: actor, timings } = input;
  const activityOptions = {
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: a change under way must complete; non-retryable failures (a price Stripe
    // refuses, a plan that is not configured) end it at once.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  };
  const activities = proxyActivities<BillingActivities>(activityOptions);
  // Only changes that need approval ask for the patch: histories without approval replay as before.
  const approval = input.approval && patched(CHANGE_PLAN_APPROVAL_PATCH) ? input.approval : null;
  const steps = approval
    ? [CHANGE_PLAN_STEPS[0], CHANGE_PLAN_APPROVAL_STEP, ...CHANGE_PLAN_STEPS.slice(1)]
    : CHANGE_PLAN_STEPS;
  const tracker = new StepTracker<ChangePlanStep>(CHANGE_PLAN_KIND, tenantId, steps);
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

  /** Waits for the approval; resolves with the rejection's reason, or null once approved. */
  async function approvalRefused(wanted: NonNullable<ChangePlanInput['approval']>): Promise<string | null> {
    const result = await awaitApproval({
      // Deterministic (seeded by the run), and safe in a URL path as the decision routes take it.
      requestId: uuid4(),
      tenantId,
      subject: {
        kind: 'plan-change',
        id: `${slug}/${number}`,
        label: `Plan change of ${slug} from ${input.from} to ${to}`,
      },
      requesterId: wanted.requesterId,
      attributes: { plan: to },
      policy: wanted.policy,
      activityOptions,
      // The change shows as waiting only once its request takes decisions.
      afterOpen: () => activities.recordPlanChangeStatus({ ...change, status: 'awaiting-approval' }),
    });
    if (result.status === 'approved') {
      await activities.recordPlanChangeStatus({ ...change, status: 'requested' });
      return null;
    }
    return result.decidedBy
      ? `rejected by a platform admin: ${result.reason ?? ''}`
      : `no platform admin approved it within ${describeDuration(wanted.timeoutMs)}`;
  }

  try {
    await refuseIfExceeded();

    if (approval) {
      const rejection = await tracker.run('approval', () => approvalRefused(approval));
      if (rejection) {
        const message = `The change of "${slug}" to the ${to} plan was not approved: ${rejection}`;
        tracker.fail('approval', message);
        await activities.recordPlanChangeStatus({ ...change, status: 'rejected', detail: message });
        tracker.setPhase('failed', message);
        throw ApplicationFailure.nonRetryable(message, 'PlanChangeNotApproved', tracker.snapshot());
      }
    }

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

function describeDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minute(s)`;
  return `${Math.round(ms / 1000)} s`;
}
