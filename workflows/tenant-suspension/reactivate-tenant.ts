// reactivateTenant: reverses suspension n — restores the workloads it scaled down (to the
// replica counts it recorded), reopens the tenant's API, wakes its webhook endpoints'
// sequencers, whose deliveries waited while it was suspended, and resumes the Schedules
// (connector syncs, secret rotations) the suspension paused. Revoked sessions stay revoked:
// people sign in again. Transient failures are retried until the step succeeds; a refusal no
// retry can fix (the cluster's 403, no such suspension) fails the operation at once,
// carrying its progress.
import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities } from '@temporalio/workflow';
import type { TenantSuspensionActivities } from '../../activities/tenant-suspension/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { ReactivateTenantInput, ReactivateTenantStep, TenantSuspensionResult } from './contract.ts';
import { REACTIVATE_TENANT_KIND, REACTIVATE_TENANT_STEPS } from './contract.ts';
import { wakeSequencers } from '../webhooks/contract.ts';

/** The `webhooks` step was added; reactivations recorded before it end after `unblock`. */
export const RESUME_WEBHOOKS_PATCH = 'reactivate-resumes-webhook-deliveries';
/** The `schedules` step was added (its suspension paused them); earlier reactivations have none. */
export const RESUME_SCHEDULES_PATCH = 'reactivate-resumes-schedules';

export async function reactivateTenant(input: ReactivateTenantInput): Promise<TenantSuspensionResult> {
  const { tenantId, slug, number, requestedBy: actor, timings } = input;
  const activities = proxyActivities<TenantSuspensionActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<ReactivateTenantStep>(REACTIVATE_TENANT_KIND, tenantId, REACTIVATE_TENANT_STEPS);

  try {
    const restored = await tracker.run('workloads', () =>
      activities.restoreTenantWorkloads({ tenantId, slug, number, actor }),
    );
    if (restored.skipped) tracker.skip('workloads', restored.skipped);
    await tracker.run('unblock', () => activities.unblockTenant({ tenantId, number, actor }));
    if (patched(RESUME_WEBHOOKS_PATCH))
      await tracker.run('webhooks', async () => {
        // The held events go out without this too (the sequencers re-check), only later.
        const { endpointIds } = await activities.listResumableWebhookEndpoints({ tenantId });
        await wakeSequencers(slug, endpointIds);
      });
    else tracker.skip('webhooks', 'reactivated before this step existed; the sequencers re-check on their own');
    if (patched(RESUME_SCHEDULES_PATCH)) {
      const { resumed } = await tracker.run('schedules', () =>
        activities.resumeTenantSchedules({ tenantId, slug, number, actor }),
      );
      if (resumed.length === 0) tracker.skip('schedules', 'the suspension paused no schedules');
    } else tracker.skip('schedules', 'reactivated before this step existed');
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Carries the final progress, so the operation shows which step failed and why without a worker.
    const message = `Reactivating "${slug}" stopped: ${describeFailure(error)}`;
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'TenantReactivationFailed', tracker.snapshot());
  }

  tracker.setPhase('completed');
  log.info('Tenant reactivated', { tenantId, slug, number });
  return { tenantId, number, progress: tracker.snapshot() };
}
