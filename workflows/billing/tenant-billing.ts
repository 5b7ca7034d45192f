// tenantBilling: the tenant's long-lived billing workflow. The Stripe webhook route hands it
// each event with signal-with-start; it acts on each one exactly once, one at a time, in the
// order they arrived, judging by Stripe's `created` time and the object's state what is
// old news:
//
// - `invoice.payment_failed` → dunning: the owners and admins are mailed, and a grace timer
//   runs (BILLING_DUNNING_GRACE_PERIOD). When it runs out, the tenant is suspended exactly as
//   the admin console suspends one — suspendTenant as `tenant-suspend/<slug>/<n>` on the
//   tenant-suspension queue — with the reason "billing". A failure for an invoice already seen
//   paid is old news (the events crossed). More failed invoices join the dunning in force.
// - `invoice.paid` → the invoice leaves dunning; the last one ends it, and the suspension this
//   workflow started, and only that one, is lifted (reactivateTenant `tenant-reactivate/<slug>/<n>`).
//   A suspension a platform admin made is never lifted here.
// - `customer.subscription.updated` / `.deleted` → the tenant's plan and signed license follow
//   the subscription; an event older than the last one applied to it is skipped, and nothing
//   follows a deletion.
//
// Deduplication is twofold: the inbox stores an event once by id (a redelivery is not handed
// over again), and the workflow remembers the ids it acted on (a hand-over repeated after a
// crash is dropped here). A long life continues as new, carrying what it remembers and what
// waits, once every signal handler has finished.
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { BillingActivities } from '../../activities/billing/index.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../shared/operation.contract.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import { familyTaskQueue } from '../shared/task-queues.ts';
import type { reactivateTenant } from '../tenant-suspension/reactivate-tenant.ts';
import type { suspendTenant } from '../tenant-suspension/suspend-tenant.ts';
import {
  REACTIVATE_TENANT_KIND,
  reactivateTenantWorkflowId,
  SUSPEND_TENANT_KIND,
  suspendTenantWorkflowId,
} from '../tenant-suspension/contract.ts';
import type {
  BillingMemory,
  BillingView,
  StripeEventOutcome,
  StripeEventRef,
  TenantBillingInput,
  TenantBillingResult,
  TenantBillingStep,
} from './contract.ts';
import {
  BILLING_SUSPENSION_REASON,
  getBillingViewQuery,
  MAX_REMEMBERED_EVENTS,
  MAX_REMEMBERED_INVOICES,
  stripeEventSignal,
  TENANT_BILLING_KIND,
  TENANT_BILLING_STEPS,
} from './contract.ts';

/** Events acted on by one run before it continues as new (its history stays small). */
const EVENTS_PER_RUN = 100;

const SYSTEM = { type: 'system', id: null, requestId: null, ip: null } as const;

export async function tenantBilling(input: TenantBillingInput): Promise<TenantBillingResult> {
  const { tenantId, slug, policy, timings } = input;
  const activities = proxyActivities<BillingActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    // No maximum: an event must be acted on; operators see the attempts and the error.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  });
  const tracker = new StepTracker<TenantBillingStep>(TENANT_BILLING_KIND, tenantId, TENANT_BILLING_STEPS);

  const memory: BillingMemory = input.memory ?? {
    handled: [],
    paidInvoices: [],
    dunning: null,
    billingSuspension: null,
    subscriptions: {},
  };
  const handled = new Set(memory.handled);
  const pending: StripeEventRef[] = [...(input.pending ?? [])];
  let actedThisRun = 0;

  setHandler(stripeEventSignal, (event) => {
    if (handled.has(event.eventId) || pending.some((waiting) => waiting.eventId === event.eventId)) return;
    pending.push(event);
  });
  setHandler(getBillingViewQuery, (): BillingView => {
    const { dunning } = memory;
    return {
      status: memory.billingSuspension !== null ? 'suspended' : dunning ? 'dunning' : 'in-good-standing',
      dunning: dunning && {
        invoiceIds: [...dunning.invoiceIds],
        since: new Date(dunning.since).toISOString(),
        graceEndsAt: new Date(dunning.graceEndsAt).toISOString(),
      },
      billingSuspension: memory.billingSuspension,
      handled: handled.size,
      pending: pending.length,
    };
  });

  function remember(eventId: string): void {
    handled.add(eventId);
    memory.handled.push(eventId);
    if (memory.handled.length > MAX_REMEMBERED_EVENTS) handled.delete(memory.handled.shift()!);
  }

  function rememberPaid(invoiceId: string): void {
    if (memory.paidInvoices.includes(invoiceId)) return;
    memory.paidInvoices.push(invoiceId);
    if (memory.paidInvoices.length > MAX_REMEMBERED_INVOICES) memory.paidInvoices.shift();
  }

  /** Suspends the tenant as the admin console does, unless a suspension is in force already. */
  async function suspendForBilling(): Promise<void> {
    memory.dunning!.graceOver = true;
    const plan = await activities.prepareBillingSuspension({ tenantId, actor: SYSTEM });
    if (!plan.start) {
      await activities.recordBillingSuspension({ tenantId, number: null, skipped: plan.reason, actor: SYSTEM });
      return;
    }
    let child;
    try {
      child = await startChild<typeof suspendTenant>(OPERATION_CATALOGUE[SUSPEND_TENANT_KIND].workflowType, {
        workflowId: suspendTenantWorkflowId(slug, plan.number),
        taskQueue: familyTaskQueue(input.taskQueuePrefix, OPERATION_CATALOGUE[SUSPEND_TENANT_KIND].family),
        args: [
          { tenantId, slug, number: plan.number, reason: BILLING_SUSPENSION_REASON, requestedBy: SYSTEM, timings },
        ],
        // The suspension is an operation of its own, as if an admin had started it: it outlives this run.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: TenantIdSearchAttribute, value: tenantId },
          { key: OperationKindSearchAttribute, value: SUSPEND_TENANT_KIND },
        ],
      });
    } catch (error) {
      // Refused: an admin took the number meanwhile. The suspension in force is theirs.
      log.warn('Billing suspension not started', { tenantId, error: String(error) });
      await activities.recordBillingSuspension({
        tenantId,
        number: null,
        skipped: `suspension ${plan.number} was started by someone else`,
        actor: SYSTEM,
      });
      return;
    }
    // Started: it is billing's to lift, whatever becomes of its later steps (the operation shows them).
    memory.billingSuspension = plan.number;
    try {
      await child.result();
    } catch (error) {
      log.warn('Billing suspension failed', { tenantId, number: plan.number, error: String(error) });
    }
    await activities.recordBillingSuspension({ tenantId, number: plan.number, skipped: null, actor: SYSTEM });
  }

  /** Lifts the suspension this workflow started, if it is still the one in force (never an admin's). */
  async function liftBillingSuspension(): Promise<number | null> {
    const number = memory.billingSuspension;
    if (number === null) return null;
    memory.billingSuspension = null;
    const plan = await activities.prepareBillingReactivation({ tenantId, number, actor: SYSTEM });
    if (!plan.start) return null;
    try {
      const child = await startChild<typeof reactivateTenant>(
        OPERATION_CATALOGUE[REACTIVATE_TENANT_KIND].workflowType,
        {
          workflowId: reactivateTenantWorkflowId(slug, number),
          taskQueue: familyTaskQueue(input.taskQueuePrefix, OPERATION_CATALOGUE[REACTIVATE_TENANT_KIND].family),
          args: [{ tenantId, slug, number, requestedBy: SYSTEM, timings }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: TenantIdSearchAttribute, value: tenantId },
            { key: OperationKindSearchAttribute, value: REACTIVATE_TENANT_KIND },
          ],
        },
      );
      await child.result();
      return number;
    } catch (error) {
      // An admin reactivated it first (the ID is taken) or it failed: the operation shows why.
      log.warn('Billing reactivation not applied', { tenantId, number, error: String(error) });
      return null;
    }
  }

  async function onPaymentFailed(event: StripeEventRef): Promise<StripeEventOutcome> {
    const invoiceId = event.objectId;
    if (memory.paidInvoices.includes(invoiceId) || event.objectStatus === 'paid' || event.objectStatus === 'void')
      return 'stale';
    const { dunning } = memory;
    if (dunning) {
      if (dunning.invoiceIds.includes(invoiceId)) return 'dunning-continued';
      dunning.invoiceIds.push(invoiceId);
      await activities.addDunningInvoice({ tenantId, eventId: event.eventId, invoiceId, actor: SYSTEM });
      return 'dunning-continued';
    }
    const since = Date.now();
    memory.dunning = {
      startedBy: event.eventId,
      invoiceIds: [invoiceId],
      since,
      graceEndsAt: since + policy.dunningGracePeriodMs,
      graceOver: false,
    };
    await activities.startDunning({
      tenantId,
      eventId: event.eventId,
      invoiceId,
      since: new Date(since).toISOString(),
      graceEndsAt: new Date(memory.dunning.graceEndsAt).toISOString(),
      actor: SYSTEM,
    });
    return 'dunning-started';
  }

  async function onInvoicePaid(event: StripeEventRef): Promise<StripeEventOutcome> {
    const invoiceId = event.objectId;
    rememberPaid(invoiceId);
    const { dunning } = memory;
    if (!dunning?.invoiceIds.includes(invoiceId)) return 'invoice-paid';
    dunning.invoiceIds = dunning.invoiceIds.filter((id) => id !== invoiceId);
    if (dunning.invoiceIds.length > 0) return 'dunning-continued';
    memory.dunning = null;
    const lifted = await liftBillingSuspension();
    await activities.endDunning({
      tenantId,
      eventId: event.eventId,
      invoiceId,
      liftedSuspension: lifted,
      actor: SYSTEM,
    });
    return 'dunning-ended';
  }

  async function onSubscription(event: StripeEventRef): Promise<StripeEventOutcome> {
    const known = memory.subscriptions[event.objectId];
    const deleted = event.type === 'customer.subscription.deleted';
    if (known && (known.deleted || event.created < known.created)) return 'stale';
    memory.subscriptions[event.objectId] = { created: event.created, deleted };
    await activities.followSubscription({
      tenantId,
      slug,
      eventId: event.eventId,
      subscriptionId: event.objectId,
      status: deleted ? 'canceled' : (event.objectStatus ?? 'unknown'),
      priceIds: event.priceIds ?? [],
      deleted,
      actor: SYSTEM,
    });
    return 'subscription-followed';
  }

  async function act(event: StripeEventRef): Promise<StripeEventOutcome> {
    switch (event.type) {
      case 'invoice.payment_failed':
        return onPaymentFailed(event);
      case 'invoice.paid':
        return onInvoicePaid(event);
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return onSubscription(event);
    }
  }

  const graceRunning = () => memory.dunning !== null && !memory.dunning.graceOver;

  async function run(): Promise<TenantBillingResult> {
    for (;;) {
      if (graceRunning() && Date.now() >= memory.dunning!.graceEndsAt) await suspendForBilling();
      if (actedThisRun >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof tenantBilling>({ ...input, memory, pending: [...pending] });
      }
      if (pending.length === 0) {
        const wake = () => pending.length > 0 || workflowInfo().continueAsNewSuggested;
        if (graceRunning()) await condition(wake, Math.max(1, memory.dunning!.graceEndsAt - Date.now()));
        else await condition(wake);
        continue;
      }
      const event = pending[0]!;
      const outcome = await act(event);
      remember(event.eventId);
      pending.shift();
      actedThisRun += 1;
      const { tenantStatus } = await activities.recordStripeEventOutcome({
        tenantId,
        eventId: event.eventId,
        outcome,
        actor: SYSTEM,
      });
      log.info('Stripe event acted on', { tenantId, eventId: event.eventId, type: event.type, outcome });
      if (tenantStatus === 'offboarded' || tenantStatus === null)
        return { tenantId, end: 'tenant-gone', handled: handled.size };
    }
  }

  try {
    const result = await tracker.run('follow', run);
    tracker.setPhase('completed');
    return result;
  } catch (error) {
    if (error instanceof ActivityFailure) tracker.setPhase('failed', String(error.cause?.message ?? error.message));
    throw error;
  }
}
