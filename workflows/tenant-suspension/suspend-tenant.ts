// suspendTenant: closes a tenant's API (members and API keys get a 403 naming the reason),
// revokes the sessions its single sign-on started, scales its workloads to zero and pauses
// its Schedules (connector syncs, secret rotations),
// recording each thing it did so reactivateTenant can reverse exactly that. Every step is
// safe to repeat. A step that fails for a transient reason is retried until it succeeds; a
// refusal no retry can fix (the cluster's 403, a tenant that is not active) fails the
// operation at once, carrying its progress. There is nothing to compensate either way: the
// steps before stay applied (the tenant stays closed), and reactivation undoes what was
// recorded.
import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities } from '@temporalio/workflow';
import type { TenantSuspensionActivities } from '../../activities/tenant-suspension/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { SuspendTenantInput, SuspendTenantStep, TenantSuspensionResult } from './contract.ts';
import { SUSPEND_TENANT_KIND, SUSPEND_TENANT_STEPS } from './contract.ts';

/** The `schedules` step was added; suspensions recorded before it end after `workloads`. */
export const PAUSE_SCHEDULES_PATCH = 'suspend-pauses-schedules';

export async function suspendTenant(input: SuspendTenantInput): Promise<TenantSuspensionResult> {
  const { tenantId, slug, number, reason, requestedBy: actor, timings } = input;
  const activities = proxyActivities<TenantSuspensionActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: a suspension must complete; operators see the attempts and the error.
    // Non-retryable failures (a refused permission) end it at once.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<SuspendTenantStep>(SUSPEND_TENANT_KIND, tenantId, SUSPEND_TENANT_STEPS);

  try {
    await tracker.run('block', () => activities.blockTenant({ tenantId, number, reason, actor }));
    await tracker.run('sessions', () => activities.revokeTenantSessions({ tenantId, number, actor }));
    const scaled = await tracker.run('workloads', () =>
      activities.scaleDownTenantWorkloads({ tenantId, slug, number, actor }),
    );
    if (scaled.skipped) tracker.skip('workloads', scaled.skipped);
    if (patched(PAUSE_SCHEDULES_PATCH)) {
      const { paused } = await tracker.run('schedules', () =>
        activities.pauseTenantSchedules({ tenantId, slug, number, actor }),
      );
      if (paused.length === 0) tracker.skip('schedules', 'the tenant has no running schedules');
    } else tracker.skip('schedules', 'suspended before this step existed');
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Carries the final progress, so the operation shows which step failed and why without a worker.
    const message = `Suspending "${slug}" stopped: ${describeFailure(error)}`;
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'TenantSuspensionFailed', tracker.snapshot());
  }

  tracker.setPhase('completed');
  log.info('Tenant suspended', { tenantId, slug, number });
  return { tenantId, number, progress: tracker.snapshot() };
}
