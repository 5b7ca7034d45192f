// A tenant's plan: what it has and uses, what each plan would give it, and changing it. A
// change runs as the workflow `tenant-plan/<slug>/<n>` (workflows/billing/change-plan.ts):
// upgrades take effect at once; downgrades at the end of the billing period unless asked for
// `now`. A downgrade the tenant's usage exceeds is refused, naming what to remove.
import { z } from 'zod';
import { OperationStarted } from './operations.ts';
import { TenantPlan } from './tenants.ts';

/** The counted limits a plan carries, as the license names them. */
export const PLAN_LIMIT_NAMES = ['members', 'environments', 'connectors', 'apiKeys'] as const;
export const PlanLimitName = z.enum(PLAN_LIMIT_NAMES);
export type PlanLimitName = z.infer<typeof PlanLimitName>;

/** How people read each limit (the portal, the problem's detail). */
export const PLAN_LIMIT_LABELS: Record<PlanLimitName, { one: string; many: string }> = {
  members: { one: 'member', many: 'members' },
  environments: { one: 'environment', many: 'environments' },
  connectors: { one: 'connector', many: 'connectors' },
  apiKeys: { one: 'API key', many: 'API keys' },
};

export const PLAN_CHANGE_TIMINGS = ['now', 'period-end'] as const;
export const PlanChangeTiming = z.enum(PLAN_CHANGE_TIMINGS, { error: 'Choose "now" or "period-end".' });
export type PlanChangeTiming = z.infer<typeof PlanChangeTiming>;

export const PLAN_CHANGE_STATUSES = [
  'requested',
  'awaiting-approval',
  'scheduled',
  'applied',
  'refused',
  'rejected',
  'cancelled',
  'failed',
] as const;
export const PlanChangeStatus = z.enum(PLAN_CHANGE_STATUSES);
export type PlanChangeStatus = z.infer<typeof PlanChangeStatus>;

export const ChangePlanRequest = z
  .strictObject({
    plan: TenantPlan,
    timing: PlanChangeTiming.optional().meta({
      description:
        'When a downgrade takes effect: `period-end` (the default) or `now`. Upgrades always take effect now.',
    }),
  })
  .meta({ id: 'ChangePlanRequest' });
export type ChangePlanRequest = z.infer<typeof ChangePlanRequest>;

/** One limit the tenant's usage exceeds on a plan: how many it uses, how many the plan allows. */
export const PlanBlocker = z.object({
  limit: PlanLimitName,
  used: z.number().int(),
  allowed: z.number().int(),
  /** In words: "Remove 2 members (5 used, the free plan allows 3)." */
  message: z.string(),
});
export type PlanBlocker = z.infer<typeof PlanBlocker>;

export const PlanUsage = z.object({
  members: z.number().int(),
  environments: z.number().int(),
  connectors: z.number().int(),
  apiKeys: z.number().int(),
});
export type PlanUsage = z.infer<typeof PlanUsage>;

export const PlanLimits = z.object({
  members: z.number().int().nullable(),
  environments: z.number().int().nullable(),
  connectors: z.number().int().nullable(),
  apiKeys: z.number().int().nullable(),
});

export const PlanOption = z.object({
  plan: TenantPlan,
  features: z.array(z.string()),
  /** null: unlimited. */
  limits: PlanLimits,
  change: z.enum(['current', 'upgrade', 'downgrade']),
  /** What the tenant would have to remove first (empty: it fits). */
  blockers: z.array(PlanBlocker),
  /** A change into this plan waits for a platform admin's approval (APPROVAL_PLANS). */
  needsApproval: z.boolean(),
});
export type PlanOption = z.infer<typeof PlanOption>;

export const PlanChangeRecord = z
  .object({
    number: z.number().int(),
    from: TenantPlan,
    to: TenantPlan,
    direction: z.enum(['upgrade', 'downgrade']),
    timing: PlanChangeTiming,
    status: PlanChangeStatus,
    /** When it took or will take effect (a scheduled downgrade: the end of the billing period). */
    effectiveAt: z.iso.datetime().nullable(),
    /** Why it was refused or failed, in words. */
    detail: z.string().nullable(),
    requestedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    /** The operation that runs it. */
    workflowId: z.string(),
  })
  .meta({ id: 'PlanChangeRecord' });
export type PlanChangeRecord = z.infer<typeof PlanChangeRecord>;

export const TenantPlanOverview = z
  .object({
    plan: TenantPlan,
    usage: PlanUsage,
    options: z.array(PlanOption),
    /** A change requested, awaiting approval or scheduled, and not yet applied. */
    pending: PlanChangeRecord.nullable(),
    /** The latest changes, newest first. */
    history: z.array(PlanChangeRecord),
    /** Whether the caller may change the plan (owners, platform admins). */
    canChange: z.boolean(),
  })
  .meta({ id: 'TenantPlanOverview' });
export type TenantPlanOverview = z.infer<typeof TenantPlanOverview>;

export const PlanChangePath = z.strictObject({
  slug: z.string().min(1).max(40),
  number: z.coerce
    .number({ error: 'Must be a plan change number.' })
    .int('Must be a whole number.')
    .positive('Must be positive.'),
});

/** The answer to a plan change: the operation, and whether it waits for a platform admin's approval. */
export const PlanChangeStarted = OperationStarted.extend({
  /** The target is in APPROVAL_PLANS: the change waits in its `approval` step (status `awaiting-approval`). */
  approvalRequired: z.boolean(),
}).meta({ id: 'PlanChangeStarted' });
export type PlanChangeStarted = z.infer<typeof PlanChangeStarted>;
