// provisionTenant: turns a signup into an active tenant, one idempotent activity per step.
// If a step fails for good, what the steps did is undone in reverse (a saga) and the
// tenant ends `failed` with the reason, so nothing half-built is left behind.
//
// Versions: workflows started before the full provisioning (v1, v2) run record → schema →
// activate; the `provision-tenant-v3-full-steps` patch marks those started since, which
// run every step. Keep the v2 branch until no v2 workflow can still be running.
import { ActivityFailure, ApplicationFailure, log, patched, proxyActivities } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { ProvisioningActivities } from '../activities/tenant-provisioning.ts';
import type { TenantActivities } from '../activities/tenants.ts';
import type { ProvisionTenantInput, ProvisionTenantResult, ProvisionTenantStep } from './provision-tenant.contract.ts';
import {
  PROVISION_TENANT_KIND,
  PROVISION_TENANT_STEPS,
  PROVISION_TENANT_STEPS_V2,
  PROVISION_TENANT_V3_PATCH,
} from './provision-tenant.contract.ts';
import { describeFailure, StepTracker } from './step-tracker.ts';

type Activities = TenantActivities & ProvisioningActivities;

export async function provisionTenant(input: ProvisionTenantInput): Promise<ProvisionTenantResult> {
  if (patched(PROVISION_TENANT_V3_PATCH)) return provisionTenantV3(input);
  return provisionTenantV2(input);
}

/** Retry policies per kind of step: how often, and how long, a transient failure is retried. */
function retryPolicies(timings: ProvisionTenantInput['timings']) {
  const base = { startToCloseTimeout: timings.startToCloseTimeoutMs, heartbeatTimeout: timings.heartbeatTimeoutMs };
  const policy = (initialInterval: string, maximumInterval: string, maximumAttempts: number): ActivityOptions => ({
    ...base,
    retry: { initialInterval, backoffCoefficient: 2, maximumInterval, maximumAttempts },
  });
  return {
    /** PostgreSQL: locks and restarts clear quickly. */
    database: policy('1s', '1m', 20),
    /** Vault: sealed or restarting servers take a while. */
    secrets: policy('2s', '1m', 15),
    /** Stripe: rate limits want longer pauses; the idempotency keys make retries safe. */
    billing: policy('2s', '2m', 10),
    /** Kubernetes: API server restarts, admission webhooks. */
    cluster: policy('2s', '1m', 20),
    license: policy('1s', '30s', 10),
    /** SMTP: greylisting answers "try again in a few minutes". */
    mail: policy('5s', '5m', 12),
    /** Undoing must not give up early: it is what keeps nothing left behind. */
    compensation: policy('2s', '1m', 30),
  };
}

async function provisionTenantV3(input: ProvisionTenantInput): Promise<ProvisionTenantResult> {
  const { tenantId, slug, plan, timings, requestedBy: actor } = input;
  const policies = retryPolicies(timings);
  const db = proxyActivities<Activities>(policies.database);
  const secrets = proxyActivities<Activities>(policies.secrets);
  const billing = proxyActivities<Activities>(policies.billing);
  const cluster = proxyActivities<Activities>(policies.cluster);
  const license = proxyActivities<Activities>(policies.license);
  const mail = proxyActivities<Activities>(policies.mail);
  const undo = proxyActivities<Activities>(policies.compensation);

  const tracker = new StepTracker<ProvisionTenantStep>(PROVISION_TENANT_KIND, tenantId, PROVISION_TENANT_STEPS);
  const ref = { tenantId, slug, actor };
  // Undo actions, newest first. Each is registered *before* its step runs, so a step that
  // fails halfway is undone too; every undo is idempotent and does nothing where nothing was made.
  const compensations: Array<{ step: ProvisionTenantStep; undo: () => Promise<void> }> = [];
  const before = (step: ProvisionTenantStep, action: () => Promise<void>) =>
    compensations.unshift({ step, undo: action });

  try {
    await tracker.run('record', () =>
      db.createTenantRecord({ tenantId, slug, name: input.name, plan, ownerEmail: input.ownerEmail, actor }),
    );

    before('database', () => undo.dropTenantDatabase(ref));
    const database = await tracker.run('database', () => db.createTenantDatabase(ref));

    before('secrets', () => undo.revokeTenantSecretAccess(ref));
    await tracker.run('secrets', () => secrets.grantTenantSecretAccess(ref));

    before('billing', () => undo.cancelTenantBilling(ref));
    await tracker.run('billing', () =>
      billing.createTenantBilling({ ...ref, name: input.name, ownerEmail: input.ownerEmail, plan }),
    );

    before('cluster', () => undo.deleteTenantNamespaces(ref));
    const namespaces = await tracker.run('cluster', () => cluster.createTenantNamespaces({ ...ref, plan }));
    if (namespaces.skipped !== null) tracker.skip('cluster', namespaces.skipped);

    before('license', () => undo.withdrawTenantLicense(ref));
    const issued = await tracker.run('license', () => license.issueTenantLicense({ ...ref, plan }));

    await tracker.run('welcome', () =>
      mail.sendWelcomeMail({ ...ref, name: input.name, ownerEmail: input.ownerEmail }),
    );

    await tracker.run('activate', () => db.activateTenant({ tenantId, actor }));

    tracker.setPhase('completed');
    log.info('Tenant provisioned', { tenantId, slug });
    return {
      tenantId,
      schemaName: database.schemaName,
      roleName: database.roleName,
      licenseId: issued.licenseId,
      namespaces: namespaces.namespaces,
      progress: tracker.snapshot(),
    };
  } catch (error) {
    // Only a failed activity is ours to compensate; anything else (a bug, a cancellation)
    // is rethrown untouched so Temporal shows it as it is.
    if (!(error instanceof ActivityFailure)) throw error;
    let reason = describeFailure(error);
    tracker.setPhase('compensating', reason);
    log.warn('Provisioning failed; compensating', { tenantId, slug, reason });
    const leftovers: string[] = [];
    for (const { step, undo: action } of compensations) {
      try {
        await action();
        tracker.markCompensated(step);
      } catch (undoError) {
        if (!(undoError instanceof ActivityFailure)) throw undoError;
        // Keep undoing the rest; the tenant's failure names what is left for an operator.
        const problem = describeFailure(undoError);
        tracker.markCompensationFailed(step, problem);
        leftovers.push(`${step}: ${problem}`);
      }
    }
    if (leftovers.length > 0) reason = `${reason} (cleanup incomplete — ${leftovers.join('; ')})`;
    await undo.markTenantFailed({ tenantId, reason, actor });
    tracker.setPhase('failed', reason);
    throw ApplicationFailure.nonRetryable(
      `Provisioning tenant "${slug}" failed: ${reason}`,
      'TenantProvisioningFailed',
      tracker.snapshot(),
    );
  }
}

/** The steps of v1/v2 histories, unchanged: record → schema → activate. */
async function provisionTenantV2(input: ProvisionTenantInput): Promise<ProvisionTenantResult> {
  const { tenantId, slug, timings, requestedBy: actor } = input;
  const activities = proxyActivities<Activities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  const tracker = new StepTracker<ProvisionTenantStep>(PROVISION_TENANT_KIND, tenantId, PROVISION_TENANT_STEPS_V2);
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
