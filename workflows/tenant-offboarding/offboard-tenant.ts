// offboardTenant: closes the tenant (status `offboarding`, members get a 403) and exports its
// data into a downloadable archive; waits out the grace period, during which a platform
// admin can call it off (the tenant returns to the status it had, nothing deleted); then
// disconnects its connections (tokens revoked at each provider) and deletes its Schedules; ends
// its open promotions (workflows cancelled, recorded failed) and its open plan change (workflow
// cancelled, recorded cancelled) and closes its pending approval requests; and deletes, in order, its namespaces (then marks its environments deleted),
// secrets, database role and schema, and billing, each step recording the evidence that what
// it deleted is gone — the billing customer only after a final metering reconciliation of the
// tenant's usage up to now (the open hour included), recorded in the report; writes the
// teardown report and marks the tenant `offboarded` (emitting `tenant.offboarded`); and last
// waits, for a bounded time, until that event reached the tenant's webhook endpoints, then
// deletes the endpoints and their signing secrets (kept by the secrets step until then, so that
// final delivery can be signed). Deletion steps retry until they succeed (there is no way back
// once something is deleted); a step that fails for good fails the workflow, with
// the tenant left `offboarding` and the operation showing which step and why.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
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
  DEFAULT_FINAL_WEBHOOK_DELIVERY_WAIT_MS,
  OFFBOARD_DELETION_STEPS,
  OFFBOARD_TENANT_KIND,
  OFFBOARD_TENANT_STEPS,
  offboardingStateQuery,
} from './contract.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import { wakeSequencers } from '../webhooks/contract.ts';
import { maintainConnectionWorkflowId, stopMaintenanceSignal } from '../connectors/contract.ts';
import { reconcileTenantNow } from '../metering/reconcile-tenant-now.ts';

const MAX_REMEMBERED_REQUESTS = 20;

/**
 * The `webhooks` step was added (and the secrets step keeps the webhook signing secrets for
 * it). Offboardings whose deletion began before it destroy those secrets with the rest and
 * leave the endpoints, as they did.
 */
export const FINAL_WEBHOOK_DELIVERY_PATCH = 'offboard-final-webhook-delivery';
/**
 * The `connections` step was added: connections disconnected (tokens revoked at the provider)
 * and Schedules deleted before anything else. Offboardings whose deletion began before it
 * skip it.
 */
export const DISCONNECT_CONNECTIONS_PATCH = 'offboard-disconnects-connections';
/**
 * The `promotions`, `approvals` and `environments` steps were added: open promotions ended
 * (workflows cancelled, recorded failed) and pending approval requests closed before the
 * namespaces go, and the environments marked deleted after. Offboardings whose deletion began
 * before it skip them.
 */
export const END_PROMOTIONS_PATCH = 'offboard-ends-promotions';
/**
 * The `metering` step was added: the tenant's usage reconciled with the billing provider (the
 * open hour included) before its customer is deleted. Offboardings whose billing step came
 * before it skip it.
 */
export const FINAL_RECONCILIATION_PATCH = 'offboard-final-reconciliation';
/**
 * The `plan-changes` step was added: the tenant's open plan change ended (its workflow
 * cancelled, recorded cancelled) before the approvals step closes its request; it no longer
 * waits out APPROVAL_TIMEOUT or the period's end. Offboardings whose deletion began before it
 * skip it.
 */
export const END_PLAN_CHANGES_PATCH = 'offboard-ends-plan-changes';
/** How often the final delivery is looked for: from 1 s, doubling, up to a minute. */
const FINAL_DELIVERY_FIRST_CHECK_MS = 1_000;
const FINAL_DELIVERY_MAX_CHECK_MS = 60_000;

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

  /**
   * Waits until `tenant.offboarded` reached every endpoint that can still get it, or the wait
   * runs out (an endpoint failing then loses it: the evidence says so), then deletes the
   * endpoints and their secrets, and wakes their sequencers so they end now.
   */
  async function finalWebhookDelivery(): Promise<void> {
    const deadline = Date.now() + (input.finalWebhookDeliveryWaitMs ?? DEFAULT_FINAL_WEBHOOK_DELIVERY_WAIT_MS);
    // A tenant offboarded while suspended had its deliveries held: they go out now.
    await wakeSequencers(slug, (await activities.listTenantWebhookEndpoints({ tenantId, slug, actor })).endpointIds);
    let pauseMs = FINAL_DELIVERY_FIRST_CHECK_MS;
    while ((await activities.awaitedFinalWebhookDeliveries({ tenantId, slug, actor })).waitingFor.length > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(pauseMs, left));
      pauseMs = Math.min(pauseMs * 2, FINAL_DELIVERY_MAX_CHECK_MS);
    }
    const deleted = await activities.offboardWebhookEndpoints({ tenantId, slug, actor });
    await wakeSequencers(slug, deleted.endpointIds);
  }

  /**
   * Stops each connection's maintenance (no refresh races the revocation), then disconnects it,
   * then deletes the Schedules the tenant still owns (secret rotations).
   */
  async function disconnectConnections(): Promise<void> {
    const { connectionIds } = await activities.listTenantConnections({ tenantId, slug, actor });
    for (const connectionId of connectionIds) {
      await getExternalWorkflowHandle(maintainConnectionWorkflowId(slug, connectionId))
        .signal(stopMaintenanceSignal, { reason: 'tenant offboarded' })
        .catch((error: unknown) =>
          log.info('No connection maintenance to stop', { connectionId, error: String(error) }),
        );
      await activities.offboardConnection({ tenantId, slug, actor, connectionId });
    }
    await activities.offboardSchedules({ tenantId, slug, actor });
  }

  /**
   * Ends each open promotion (its workflow cancelled, then recorded failed), so nothing deploys
   * into a namespace about to go and its approval request is no longer waited for.
   */
  async function endPromotions(): Promise<void> {
    const { promotions } = await activities.listTenantOpenPromotions({ tenantId, slug, actor });
    for (const { environment, number } of promotions)
      await activities.offboardPromotion({ tenantId, slug, actor, environment, number });
  }

  /**
   * Ends the tenant's open plan change (its workflow cancelled, then recorded cancelled), so it
   * does not wait for an approval whose request the next step closes, or for a period end.
   */
  async function endPlanChanges(): Promise<void> {
    const { numbers } = await activities.listTenantOpenPlanChanges({ tenantId, slug, actor });
    for (const number of numbers) await activities.offboardPlanChange({ tenantId, slug, actor, number });
  }

  /**
   * Reconciles the tenant's usage one last time while its billing customer still exists (no
   * later hourly run would find one), then records what was reported, corrected, flagged and
   * signed in the teardown report.
   */
  async function finalReconciliation(options: NonNullable<OffboardTenantInput['finalReconciliation']>): Promise<void> {
    tracker.note('metering', 'Reporting, then reading back what the billing provider counted');
    const result = await reconcileTenantNow({ tenantId, slug }, { ...options, timings });
    await activities.recordFinalReconciliation({ tenantId, slug, actor, ...result });
  }

  state.deletionStarted = true;
  const withFinalDelivery = patched(FINAL_WEBHOOK_DELIVERY_PATCH);
  try {
    if (patched(DISCONNECT_CONNECTIONS_PATCH)) await tracker.run('connections', disconnectConnections);
    else tracker.skip('connections', 'this offboarding began deleting before connections were disconnected by it');
    const endsPromotions = patched(END_PROMOTIONS_PATCH);
    const beforePromotions = 'this offboarding began deleting before it ended promotions and approvals';
    if (endsPromotions) await tracker.run('promotions', endPromotions);
    else tracker.skip('promotions', beforePromotions);
    if (patched(END_PLAN_CHANGES_PATCH)) await tracker.run('plan-changes', endPlanChanges);
    else tracker.skip('plan-changes', 'this offboarding began deleting before it ended plan changes');
    if (endsPromotions)
      await tracker.run('approvals', () => activities.offboardApprovalRequests({ tenantId, slug, actor }));
    else tracker.skip('approvals', beforePromotions);
    const namespaces = await tracker.run('namespaces', () => activities.offboardNamespaces({ tenantId, slug, actor }));
    if (namespaces.skipped) tracker.skip('namespaces', namespaces.skipped);
    if (endsPromotions)
      await tracker.run('environments', () => activities.offboardEnvironments({ tenantId, slug, actor }));
    else tracker.skip('environments', beforePromotions);
    await tracker.run('secrets', () =>
      activities.offboardSecrets({ tenantId, slug, actor, ...(withFinalDelivery ? { keepWebhookSecrets: true } : {}) }),
    );
    await tracker.run('database', () => activities.offboardDatabase({ tenantId, slug, actor }));
    const finalOptions = input.finalReconciliation;
    if (!patched(FINAL_RECONCILIATION_PATCH))
      tracker.skip('metering', 'this offboarding began deleting before it reconciled usage at the end');
    else if (!finalOptions)
      tracker.skip('metering', 'this offboarding was started before it reconciled usage: the hourly runs did');
    else await tracker.run('metering', () => finalReconciliation(finalOptions));
    await tracker.run('billing', () => activities.offboardBilling({ tenantId, slug, actor }));
    await tracker.run('report', () => activities.completeOffboarding({ tenantId, slug, actor }));
    if (withFinalDelivery) await tracker.run('webhooks', finalWebhookDelivery);
    else tracker.skip('webhooks', 'this offboarding began deleting before the final webhook delivery existed');
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
