// provisionTenant: turns a signup into an active tenant, one idempotent activity per step.
// If a step fails for good, the steps already done are undone in reverse (a saga) and the
// tenant ends `failed` with the reason, so nothing half-built is left behind.
import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { TenantActivities } from '../activities/tenants.ts';
import type { ProvisionTenantInput, ProvisionTenantResult, ProvisionTenantStep } from './provision-tenant.contract.ts';
import { PROVISION_TENANT_KIND, PROVISION_TENANT_STEPS } from './provision-tenant.contract.ts';
import { describeFailure, StepTracker } from './step-tracker.ts';

export async function provisionTenant(input: ProvisionTenantInput): Promise<ProvisionTenantResult> {
  const { tenantId, slug, timings, requestedBy: actor } = input;
  const activities = proxyActivities<TenantActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  const tracker = new StepTracker<ProvisionTenantStep>(PROVISION_TENANT_KIND, tenantId, PROVISION_TENANT_STEPS);
  // Undo actions for completed steps, newest first.
  const compensations: Array<{ step: ProvisionTenantStep; undo: () => Promise<void> }> = [];

  try {
    await tracker.run('record', () =>
      activities.createTenantRecord({
        tenantId,
        slug,
        name: input.name,
        plan: input.plan,
        ownerEmail: input.ownerEmail,
        actor,
      }),
    );

    const { schemaName } = await tracker.run('schema', () => activities.createTenantSchema({ tenantId, slug, actor }));
    compensations.unshift({ step: 'schema', undo: () => activities.dropTenantSchema({ tenantId, schemaName, actor }) });

    await tracker.run('activate', () => activities.activateTenant({ tenantId, actor }));

    tracker.setPhase('completed');
    log.info('Tenant provisioned', { tenantId, slug });
    return { tenantId, schemaName, progress: tracker.snapshot() };
  } catch (error) {
    // Only a failed activity is ours to compensate; anything else (a bug, a cancellation)
    // is rethrown untouched so Temporal shows it as it is.
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = describeFailure(error);
    tracker.setPhase('compensating', reason);
    log.warn('Provisioning failed; compensating', { tenantId, slug, reason });
    for (const { step, undo } of compensations) {
      await undo();
      tracker.markCompensated(step);
    }
    await activities.markTenantFailed({ tenantId, reason, actor });
    tracker.setPhase('failed', reason);
    throw ApplicationFailure.nonRetryable(
      `Provisioning tenant "${slug}" failed: ${reason}`,
      'TenantProvisioningFailed',
      tracker.snapshot(),
    );
  }
}
