// The contract of the billing family: one long-lived workflow per tenant
// (`tenant-billing/<slug>`) that acts on the tenant's Stripe events exactly once. The Stripe
// webhook route (api/billing/stripe-webhook-routes.ts) stores each event in the inbox and hands
// it over with signal-with-start; the workflow deduplicates by event id, orders by Stripe's
// `created` time and the object's state, and runs dunning, suspension and the license.
//
// Plan changes (changePlan, below) are the family's second workflow; usage and reconciliation come later.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';
import type { PlanName } from '../shared/plans.ts';

export const TENANT_BILLING_KIND = 'tenant-billing' satisfies OperationKind;

export function tenantBillingWorkflowId(slug: string): string {
  return OPERATION_CATALOGUE[TENANT_BILLING_KIND].workflowId({ slug });
}

/** The Stripe event types the billing workflow acts on; the inbox keeps every other one unhandled. */
export const HANDLED_STRIPE_EVENT_TYPES = [
  'invoice.payment_failed',
  'invoice.paid',
  'customer.subscription.updated',
  'customer.subscription.deleted',
] as const;
export type HandledStripeEventType = (typeof HANDLED_STRIPE_EVENT_TYPES)[number];

export function isHandledStripeEventType(type: string): type is HandledStripeEventType {
  return (HANDLED_STRIPE_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * What the workflow needs of a Stripe event: references and the object's state, never the
 * payload (it names people and addresses; the inbox keeps it, in PostgreSQL).
 */
export interface StripeEventRef {
  /** `evt_…`: the event is acted on once per id. */
  eventId: string;
  type: HandledStripeEventType;
  /** When Stripe created the event (seconds since the epoch): older news never overrides newer. */
  created: number;
  /** The invoice (`in_…`) or subscription (`sub_…`) the event is about. */
  objectId: string;
  /** The object's status in the event (`open`, `paid`, `active`, `past_due`, `canceled`, …). */
  objectStatus: string | null;
  /** Subscription events: the price ids of its items (the plan follows them). */
  priceIds?: string[];
}

/** How long dunning lasts before the tenant is suspended (BILLING_DUNNING_GRACE_PERIOD). */
export interface BillingPolicy {
  dunningGracePeriodMs: number;
}

/** A tenant in dunning: its unpaid invoices, since when, and when the grace period ends. */
export interface DunningState {
  /** The event that began it (its mails and audit entry are keyed by it). */
  startedBy: string;
  invoiceIds: string[];
  /** ms since the epoch (workflow time). */
  since: number;
  graceEndsAt: number;
  /** The grace period ran out and the suspension was decided (started, or skipped: an admin's was in force). */
  graceOver: boolean;
}

/** What the workflow remembers, carried through continue-as-new. */
export interface BillingMemory {
  /** Event ids acted on (the newest MAX_REMEMBERED_EVENTS). */
  handled: string[];
  /** Invoices seen paid (the newest MAX_REMEMBERED_INVOICES): a later payment_failed for one is old news. */
  paidInvoices: string[];
  dunning: DunningState | null;
  /** The suspension this workflow started and has not lifted (null: none, or an admin's). */
  billingSuspension: number | null;
  /** The newest subscription event applied, per subscription: `created` and whether it was a deletion. */
  subscriptions: Record<string, { created: number; deleted: boolean }>;
}

export const MAX_REMEMBERED_EVENTS = 1_000;
export const MAX_REMEMBERED_INVOICES = 200;

export interface TenantBillingInput {
  tenantId: string;
  slug: string;
  /** TEMPORAL_TASK_QUEUE: suspensions start on `<prefix>-tenant-suspension`, as the admin console's do. */
  taskQueuePrefix: string;
  policy: BillingPolicy;
  timings: ActivityTimings;
  /** Carried over by continue-as-new. */
  memory?: BillingMemory;
  /** Carried over by continue-as-new: events handed over but not yet acted on, in arrival order. */
  pending?: StripeEventRef[];
}

export interface TenantBillingResult {
  tenantId: string;
  /** Why the workflow ended: the tenant is gone (offboarded, deleted). */
  end: 'tenant-gone';
  handled: number;
}

/** What became of one event (the inbox row's `outcome`). */
export type StripeEventOutcome =
  | 'dunning-started'
  | 'dunning-continued'
  | 'dunning-ended'
  | 'invoice-paid'
  | 'stale'
  | 'subscription-followed'
  | 'duplicate';

/** The workflow's view, for operators and the portal's fallback. */
export interface BillingView {
  status: 'in-good-standing' | 'dunning' | 'suspended';
  dunning: { invoiceIds: string[]; since: string; graceEndsAt: string } | null;
  billingSuspension: number | null;
  handled: number;
  pending: number;
}

export const stripeEventSignal = defineSignal<[StripeEventRef]>('stripeEvent');
export const getBillingViewQuery = defineQuery<BillingView>('getBillingView');

export const TENANT_BILLING_STEPS = [{ name: 'follow', title: "Act on the tenant's Stripe events" }] as const;
export type TenantBillingStep = (typeof TENANT_BILLING_STEPS)[number]['name'];

/** The reason a billing suspension carries (members see it; the portal names it). */
export const BILLING_SUSPENSION_REASON = 'billing';

// ---------------------------------------------------------------------------------------------
// changePlan (`tenant-plan/<slug>/<n>`): the tenant's plan change n. Upgrades take effect at once;
// a downgrade waits for the end of the billing period unless asked for `now`, and can be
// cancelled while it waits.

export const CHANGE_PLAN_KIND = 'tenant-plan' satisfies OperationKind;

export function changePlanWorkflowId(slug: string, number: number): string {
  return OPERATION_CATALOGUE[CHANGE_PLAN_KIND].workflowId({ slug, number });
}

export interface ChangePlanInput {
  tenantId: string;
  slug: string;
  /** Which change of the tenant this is (plan_changes.number). */
  number: number;
  from: PlanName;
  to: PlanName;
  direction: 'upgrade' | 'downgrade';
  timing: 'now' | 'period-end';
  requestedBy: AuditActor;
  timings: ActivityTimings;
  /**
   * Present when the target plan is one whose tenants wait for a platform admin's approval
   * (APPROVAL_PLANS): the change waits for the same approval, so signing up on a cheaper plan
   * and upgrading does not bypass it. Who asked and the policy travel here, so the history
   * records what the decisions were judged by.
   */
  approval?: {
    /** The requesting user (never an approver of their own change); null for an API key. */
    requesterId: string | null;
    timeoutMs: number;
    policy: ApprovalPolicy;
  };
}

export interface ChangePlanResult {
  tenantId: string;
  number: number;
  status: 'applied' | 'cancelled';
  plan: PlanName;
  licenseId: string | null;
  progress: OperationProgress;
}

/** Cancels a downgrade that waits for the period's end; a change already under way ignores it. */
export const cancelPlanChangeSignal = defineSignal<[{ actor: AuditActor }]>('cancelPlanChange');

export const CHANGE_PLAN_STEPS = [
  { name: 'check', title: "Check that the tenant's usage fits the plan" },
  { name: 'wait', title: 'Wait for the end of the billing period' },
  { name: 'subscription', title: 'Move the subscription to the plan’s price' },
  { name: 'cluster', title: "Apply the plan's quotas to the tenant's namespaces" },
  { name: 'license', title: 'Record the plan and reissue the signed license' },
] as const;
/** Follows `check` in changes that need a platform admin's approval (input.approval). */
export const CHANGE_PLAN_APPROVAL_STEP = {
  name: 'approval',
  title: 'Wait for a platform admin to approve the change',
} as const;
export type ChangePlanStep = (typeof CHANGE_PLAN_STEPS)[number]['name'] | typeof CHANGE_PLAN_APPROVAL_STEP.name;

/** Marks changes that wait for approval (histories from before never called the approval activities). */
export const CHANGE_PLAN_APPROVAL_PATCH = 'change-plan-approval';
