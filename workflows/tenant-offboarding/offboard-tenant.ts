// offboardTenant: closes the tenant (status `offboarding`, members get a 403) and exports its
// data into a downloadable archive; waits out the grace period, during which a platform
// admin can call it off (the tenant returns to the status it had, nothing deleted); then
// deletes, in order, its namespaces, secrets, database role and schema, and billing, each
// step recording the evidence that what it deleted is gone; and ends with the teardown
// report and the tenant `offboarded`. Deletion steps retry until they succeed (there is no
// way back once something is deleted); a step that fails for good fails the workflow, with
// the tenant left `offboarding` and the operation showing which step and why.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TenantOffboardingActivities } from '../../activities/tenant-offboarding/index.ts';
import type {
  CancelOffboardingRequest,
  OffboardingState,
  OffboardTenantInput,
  OffboardTenantResult,
  OffboardTenantStep,
} from './contract.ts';
import {
  cancelOffboardingSignal,
  OFFBOARD_DELETION_STEPS,
  OFFBOARD_TENANT_KIND,
  OFFBOARD_TENANT_STEPS,
  offboardingStateQuery,
} from './contract.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';

const MAX_REMEMBERED_REQUESTS = 20;

export async function offboardTenant(input: OffboardTenantInput): Promise<OffboardTenantResult> {
  const { tenantId, slug, reason, gracePeriodMs, requestedBy: actor, timings } = input;
  const activities = proxyActivities<TenantOffboardingActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: operators see the attempts and the error on the step, fix the cause, and
    // the step continues. Non-retryable failures (a refused permission) fail the workflow.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<OffboardTenantStep>(OFFBOARD_TENANT_KIND, tenantId, OFFBOARD_TENANT_STEPS);

  const state: OffboardingState = { deleteAfter: null, deletionStarted: false, cancelled: false, cancelRequests: [] };
  let cancelledBy: CancelOffboardingRequest | null = null;
  setHandler(cancelOffboardingSignal, (request) => {
    const accepted = !state.deletionStarted;
    if (accepted && !cancelledBy) {
      cancelledBy = request;
      state.cancelled = true;
    }
    state.cancelRequests = [...state.cancelRequests, { requestId: request.requestId, accepted }].slice(
      -MAX_REMEMBERED_REQUESTS,
    );
  });
  setHandler(offboardingStateQuery, () => ({ ...state, cancelRequests: [...state.cancelRequests] }));

  let closed: { previousStatus: 'active' | 'suspended' } | null = null;
  let cancelled: boolean;
  try {
    closed = await tracker.run('export', async () => {
      const opened = await activities.closeTenantForOffboarding({ tenantId, reason, actor });
      await activities.exportTenantData({ tenantId, slug, actor });
      return opened;
    });
    state.deleteAfter = new Date(Date.now() + gracePeriodMs).toISOString();
    cancelled = await tracker.run('grace', () => condition(() => state.cancelled, gracePeriodMs));
  } catch (error) {
    // `temporal workflow cancel` before deletion: reopen the tenant, then end cancelled.
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        activities.reopenTenant({ tenantId, previousStatus: closed?.previousStatus ?? null, actor }),
      );
      for (const step of OFFBOARD_DELETION_STEPS) tracker.skip(step, 'offboarding cancelled through Temporal');
      tracker.setPhase('cancelled', 'The offboarding was cancelled through Temporal before deletion began.');
    }
    throw error;
  }

  if (cancelled) {
    const by = (cancelledBy as CancelOffboardingRequest | null)?.requestedBy ?? actor;
    await activities.reopenTenant({ tenantId, previousStatus: closed.previousStatus, actor: by });
    const why = 'offboarding cancelled during the grace period; nothing was deleted';
    for (const step of OFFBOARD_DELETION_STEPS) tracker.skip(step, why);
    tracker.setPhase('cancelled');
    log.info('Tenant offboarding cancelled', { tenantId, slug });
    return { tenantId, outcome: 'cancelled', progress: tracker.snapshot() };
  }

  state.deletionStarted = true;
  try {
    const namespaces = await tracker.run('namespaces', () => activities.offboardNamespaces({ tenantId, slug, actor }));
    if (namespaces.skipped) tracker.skip('namespaces', namespaces.skipped);
    await tracker.run('secrets', () => activities.offboardSecrets({ tenantId, slug, actor }));
    await tracker.run('database', () => activities.offboardDatabase({ tenantId, slug, actor }));
    await tracker.run('billing', () => activities.offboardBilling({ tenantId, slug, actor }));
    await tracker.run('report', () => activities.completeOffboarding({ tenantId, slug, actor }));
  } catch (error) {
    const reason = describeFailure(error);
    tracker.setPhase('failed', `Offboarding stopped with the tenant still "offboarding": ${reason}`);
    throw ApplicationFailure.nonRetryable(
      `Offboarding "${slug}" stopped: ${reason}. Fix the cause, then reset the workflow to retry the step (docs/operations.md).`,
      'TenantOffboardingFailed',
      tracker.snapshot(),
    );
  }

  tracker.setPhase('completed');
  log.info('Tenant offboarded', { tenantId, slug });
  return { tenantId, outcome: 'offboarded', progress: tracker.snapshot() };
}
