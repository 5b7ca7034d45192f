// suspendTenant: closes a tenant's API (members and API keys get a 403 naming the reason),
// revokes the sessions its single sign-on started, and scales its workloads to zero,
// recording each thing it did so reactivateTenant can reverse exactly that. Every step is
// safe to repeat; a failing step is retried (there is nothing to compensate: a half-done
// suspension is finished, never left half-way, and reactivation undoes what was recorded).
import { log, proxyActivities } from '@temporalio/workflow';
import type { TenantSuspensionActivities } from '../../activities/tenant-suspension/index.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type { SuspendTenantInput, SuspendTenantStep, TenantSuspensionResult } from './contract.ts';
import { SUSPEND_TENANT_KIND, SUSPEND_TENANT_STEPS } from './contract.ts';

export async function suspendTenant(input: SuspendTenantInput): Promise<TenantSuspensionResult> {
  const { tenantId, slug, number, reason, requestedBy: actor, timings } = input;
  const activities = proxyActivities<TenantSuspensionActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: a suspension must complete; operators see the attempts and the error.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<SuspendTenantStep>(SUSPEND_TENANT_KIND, tenantId, SUSPEND_TENANT_STEPS);

  await tracker.run('block', () => activities.blockTenant({ tenantId, number, reason, actor }));
  await tracker.run('sessions', () => activities.revokeTenantSessions({ tenantId, number, actor }));
  const scaled = await tracker.run('workloads', () =>
    activities.scaleDownTenantWorkloads({ tenantId, slug, number, actor }),
  );
  if (scaled.skipped) tracker.skip('workloads', scaled.skipped);

  tracker.setPhase('completed');
  log.info('Tenant suspended', { tenantId, slug, number });
  return { tenantId, number, progress: tracker.snapshot() };
}
