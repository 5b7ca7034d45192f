// provisionTenant: turns a signup into an active tenant, one idempotent activity per step.
// If a step fails for good, what the steps did is undone in reverse (a saga) and the
// tenant ends `failed` with the reason, so nothing half-built is left behind.
//
// Versions: workflows started before the full provisioning (v1, v2) run record → schema →
// activate; the `provision-tenant-v3-full-steps` patch marks those started since, which
// run every step. Keep the v2 branch until no v2 workflow can still be running.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { TenantProvisioningActivities } from '../../activities/tenant-provisioning/index.ts';
import { awaitApproval } from '../approvals/gate.ts';
import { tenantApprovalPolicy } from '../approvals/policy.ts';
import type { ApprovalDecision, ProvisionTenantInput, ProvisionTenantResult, ProvisionTenantStep } from './contract.ts';
import {
  APPROVAL_STEP,
  decideApprovalUpdate,
  PROVISION_TENANT_APPROVAL_PRIMITIVE_PATCH,
  PROVISION_TENANT_KIND,
  PROVISION_TENANT_PLAN_ENVIRONMENTS_PATCH,
  PROVISION_TENANT_STEPS,
  PROVISION_TENANT_STEPS_V2,
  PROVISION_TENANT_V3_PATCH,
} from './contract.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';

type Activities = TenantProvisioningActivities;

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

  // Tenants started since the approval primitive wait on it (signed assertions, policy,
  // stored requests); earlier histories keep the decideApproval Update they were started with.
  const approval = input.approval?.required
    ? patched(PROVISION_TENANT_APPROVAL_PRIMITIVE_PATCH)
      ? approvalOnThePrimitive(input, policies.database)
      : waitsForApproval(input)
    : null;
  const steps = approval
    ? [PROVISION_TENANT_STEPS[0], APPROVAL_STEP, ...PROVISION_TENANT_STEPS.slice(1)]
    : PROVISION_TENANT_STEPS;
  const tracker = new StepTracker<ProvisionTenantStep>(PROVISION_TENANT_KIND, tenantId, steps);
  const ref = { tenantId, slug, actor };
  // Undo actions, newest first. Each is registered *before* its step runs, so a step that
  // fails halfway is undone too; every undo is idempotent and does nothing where nothing was made.
  const compensations: Array<{ step: ProvisionTenantStep; undo: () => Promise<void> }> = [];
  const before = (step: ProvisionTenantStep, action: () => Promise<void>) =>
    compensations.unshift({ step, undo: action });

  try {
    await tracker.run('record', () =>
      db.createTenantRecord({
        tenantId,
        slug,
        name: input.name,
        plan,
        ownerEmail: input.ownerEmail,
        actor,
        createdAt: input.requestedAt,
      }),
    );

    if (approval) {
      const rejection = await tracker.run('approval', () => approval.decide(db));
      if (rejection) {
        tracker.fail('approval', rejection);
        await undo.markTenantFailed({ tenantId, reason: rejection, actor });
        tracker.setPhase('failed', rejection);
        throw ApplicationFailure.nonRetryable(
          `Tenant "${slug}" was not approved: ${rejection}`,
          'TenantNotApproved',
          tracker.snapshot(),
        );
      }
    }

    before('database', () => undo.dropTenantDatabase(ref));
    const database = await tracker.run('database', () => db.createTenantDatabase(ref));

    before('secrets', () => undo.revokeTenantSecretAccess(ref));
    await tracker.run('secrets', () => secrets.grantTenantSecretAccess(ref));

    before('billing', () => undo.cancelTenantBilling(ref));
    await tracker.run('billing', () =>
      billing.createTenantBilling({ ...ref, name: input.name, ownerEmail: input.ownerEmail, plan }),
    );

    before('cluster', () => undo.deleteTenantNamespaces(ref));
    // Since environments are tenant data: the plan's default environments, recorded as the
    // tenant's; earlier histories made one namespace per configured environment.
    const planEnvironments = patched(PROVISION_TENANT_PLAN_ENVIRONMENTS_PATCH);
    const namespaces: { skipped: string | null; namespaces: string[]; environments?: string[] } = await tracker.run(
      'cluster',
      () =>
        planEnvironments
          ? cluster.createTenantEnvironments({ ...ref, plan })
          : cluster.createTenantNamespaces({ ...ref, plan }),
    );
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
      ...(namespaces.environments ? { environments: namespaces.environments } : {}),
      progress: tracker.snapshot(),
    };
  } catch (error) {
    // Only a failed activity is ours to compensate; anything else (a bug, a cancellation,
    // a rejected approval) is rethrown untouched so Temporal shows it as it is.
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

/**
 * The approval wait on the approval primitive (workflows/approvals/): one platform admin, who
 * is not the requester, within the timeout; the decision arrives as an approveRequest or
 * rejectRequest Update carrying the API's signed assertion. The tenant row's approval state
 * is kept as before (the admin console reads it).
 */
function approvalOnThePrimitive(input: ProvisionTenantInput, activityOptions: ActivityOptions) {
  const timeoutMs = input.approval?.timeoutMs ?? 0;
  return {
    async decide(activities: Activities): Promise<string | null> {
      const actor = input.requestedBy ?? { type: 'system' as const, id: null, requestId: null, ip: null };
      const result = await awaitApproval({
        requestId: uuid4(),
        tenantId: input.tenantId,
        subject: { kind: 'tenant', id: input.tenantId, label: `Tenant ${input.name} (${input.slug}) on ${input.plan}` },
        requesterId: input.approval?.requesterId ?? null,
        attributes: { plan: input.plan },
        policy: input.approval?.policy ?? tenantApprovalPolicy(timeoutMs),
        activityOptions,
        // The tenant shows as waiting only once its request takes decisions.
        afterOpen: () => activities.requestTenantApproval({ tenantId: input.tenantId, actor, timeoutMs }),
      });
      const reason =
        result.status === 'approved'
          ? null
          : result.decidedBy
            ? `rejected by a platform admin: ${result.reason ?? ''}`
            : `no platform admin approved it within ${describeDuration(timeoutMs)}`;
      await activities.recordTenantApproval({
        tenantId: input.tenantId,
        approved: reason === null,
        reason: result.decidedBy ? result.reason : reason,
        decidedBy: result.decidedBy
          ? { type: 'user', id: result.decidedBy.userId, requestId: result.decidedBy.requestId, ip: null }
          : { type: 'system', id: null, requestId: null, ip: null },
      });
      return reason;
    },
  };
}

/**
 * The approval wait of plans that need it, as started before the approval primitive (kept for
 * those histories). The decideApproval Update is accepted from the
 * start (its validator refuses non-admins, a rejection without reason, and a second
 * decision); `decide` waits for it until the timeout, records it, and resolves with the
 * rejection reason, or null when approved. The Update returns once the decision is recorded.
 */
function waitsForApproval(input: ProvisionTenantInput) {
  const timeoutMs = input.approval?.timeoutMs ?? 0;
  let decision: ApprovalDecision | null = null;
  let recorded = false;
  setHandler(
    decideApprovalUpdate,
    async (update) => {
      decision = update;
      await condition(() => recorded);
      return { status: update.approve ? 'approved' : 'rejected', decidedBy: update.decidedBy.userId };
    },
    {
      validator: (update: ApprovalDecision) => {
        if (!update.decidedBy.platformAdmin) throw new Error('Only platform admins approve or reject tenants.');
        if (decision) throw new Error(`The tenant was ${decision.approve ? 'approved' : 'rejected'} already.`);
        if (!update.approve && !update.reason?.trim()) throw new Error('Say why the tenant is rejected (reason).');
      },
    },
  );
  return {
    async decide(activities: Activities): Promise<string | null> {
      const actor = input.requestedBy ?? { type: 'system' as const, id: null, requestId: null, ip: null };
      await activities.requestTenantApproval({ tenantId: input.tenantId, actor, timeoutMs });
      const decided = await condition(() => decision !== null, timeoutMs);
      const taken: ApprovalDecision | null = decided ? decision : null;
      const reason = taken
        ? taken.approve
          ? null
          : `rejected by a platform admin: ${taken.reason?.trim()}`
        : `no platform admin approved it within ${describeDuration(timeoutMs)}`;
      // A decision arriving after the timeout is refused by the validator from here on.
      decision ??= {
        approve: false,
        reason: reason ?? '',
        decidedBy: { userId: 'system', platformAdmin: true, requestId: null, ip: null },
      };
      await activities.recordTenantApproval({
        tenantId: input.tenantId,
        approved: reason === null,
        reason: taken?.reason?.trim() || (reason === null ? null : reason),
        decidedBy: taken
          ? { type: 'user', id: taken.decidedBy.userId, requestId: taken.decidedBy.requestId, ip: taken.decidedBy.ip }
          : { type: 'system', id: null, requestId: null, ip: null },
      });
      recorded = true;
      return reason;
    },
  };
}

function describeDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day(s)`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour(s)`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minute(s)`;
  return `${Math.round(ms / 1000)} s`;
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
