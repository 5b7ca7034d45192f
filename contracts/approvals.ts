// The approval primitive on the wire: policies as data (validated here, evaluated by
// workflows/approvals/policy.ts), the approvals queue, and a decision with its comment.
import { z } from 'zod';
import type { ApprovalPolicy as ApprovalPolicyShape } from '../workflows/approvals/policy.ts';
import { APPROVAL_RISKS, APPROVER_ROLES } from '../workflows/approvals/policy.ts';
import { TenantPath } from './common.ts';

/**
 * What approval requests can be about: a tenant being provisioned, a promotion, a plan change,
 * a new value or a reveal of a secret of a production(-protected) environment.
 */
export const APPROVAL_SUBJECT_KINDS = ['tenant', 'promotion', 'plan-change', 'secret-change', 'secret-reveal'] as const;
export type ApprovalSubjectKind = (typeof APPROVAL_SUBJECT_KINDS)[number];

const Slug = TenantPath.shape.slug;

const name = z.string().trim().min(1, 'Give it a name.').max(80, 'Use at most 80 characters.');
const count = z.number().int('Use a whole number.').min(1, 'At least one approver.').max(10, 'At most 10 approvers.');

export const ApproverRequirement = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('role'), role: z.enum(APPROVER_ROLES), count }),
  z.strictObject({ kind: z.literal('group'), group: name, count }),
]);

export const ApprovalStage = z.strictObject({
  name,
  approvers: ApproverRequirement,
  expiresAfterMs: z
    .number()
    .int()
    .min(1_000, 'Give a stage at least a second.')
    .max(30 * 86_400_000, 'A stage waits at most 30 days.'),
  hours: z
    .strictObject({
      fromHour: z.number().int().min(0).max(23),
      toHour: z.number().int().min(0).max(24),
    })
    .refine((hours) => hours.fromHour !== hours.toHour, 'An empty window takes no decision ever.')
    .optional(),
});

export const ApprovalRule = z.strictObject({
  name,
  when: z
    .strictObject({
      environments: z.array(z.string().trim().min(1)).min(1).optional(),
      risks: z.array(z.enum(APPROVAL_RISKS)).min(1).optional(),
      plans: z.array(z.string().trim().min(1)).min(1).optional(),
    })
    .optional(),
  stages: z.array(ApprovalStage).max(5, 'At most 5 stages of escalation.'),
  rejectionNeedsComment: z.boolean().optional(),
});

/** A policy: the first matching rule applies. Rule names are unique (stored requests name theirs). */
export const ApprovalPolicy = z
  .strictObject({
    version: z.literal(1),
    rules: z.array(ApprovalRule).min(1, 'A policy has at least one rule.').max(20),
  })
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.rules.forEach((rule, index) => {
      if (seen.has(rule.name))
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: 'Rule names must be unique.' });
      seen.add(rule.name);
    });
  })
  .meta({ id: 'ApprovalPolicy' }) satisfies z.ZodType<ApprovalPolicyShape>;
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

export const APPROVAL_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;

export const ApprovalDecisionView = z.object({
  userId: z.string(),
  decision: z.enum(['approve', 'reject']),
  stage: z.number().int(),
  comment: z.string().nullable(),
  createdAt: z.string(),
  /** The absent approver a delegate decided for (null: in person). */
  onBehalfOf: z.string().nullable(),
});

export const ApprovalRequestView = z
  .object({
    id: z.string(),
    tenant: z.object({ id: z.string(), slug: z.string() }),
    subject: z.object({ kind: z.string(), id: z.string(), label: z.string() }),
    requesterId: z.string().nullable(),
    rule: z.string(),
    stage: z.object({ index: z.number().int(), name: z.string(), needs: z.string(), approvals: z.number().int() }),
    status: z.enum(APPROVAL_REQUEST_STATUSES),
    reason: z.string().nullable(),
    expiresAt: z.string(),
    createdAt: z.string(),
    decisions: z.array(ApprovalDecisionView),
    /** Whether the caller may decide now (the policy's verdict for them), and if not, why. */
    canDecide: z.boolean(),
    cannotDecideBecause: z.string().nullable(),
    operation: z.object({ id: z.string() }),
  })
  .meta({ id: 'ApprovalRequest' });
export type ApprovalRequestView = z.infer<typeof ApprovalRequestView>;

export const ApprovalQueueQuery = z.strictObject({
  status: z.enum(APPROVAL_REQUEST_STATUSES).default('pending'),
  kind: z.enum(APPROVAL_SUBJECT_KINDS).optional(),
  tenant: Slug.optional(),
  /** Only what the caller may decide now (the default for the queue). */
  mine: z
    .enum(['true', 'false'], 'Use true or false.')
    .default('true')
    .transform((value) => value === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ApprovalQueueQuery = z.infer<typeof ApprovalQueueQuery>;

export const ApprovalQueue = z.object({ approvals: z.array(ApprovalRequestView) }).meta({ id: 'ApprovalQueue' });
export type ApprovalQueue = z.infer<typeof ApprovalQueue>;

export const ApprovalRequestPath = z.strictObject({
  slug: Slug,
  requestId: z.string().min(1).max(300),
});

export const ApproveRequestBody = z
  .strictObject({ comment: z.string().trim().max(1000, 'Use at most 1000 characters.').optional() })
  .meta({ id: 'ApproveRequestBody' });
export type ApproveRequestBody = z.infer<typeof ApproveRequestBody>;

export const RejectRequestBody = z
  .strictObject({
    comment: z
      .string({ error: 'Say why: the requester is told.' })
      .trim()
      .min(1, 'Say why: the requester is told.')
      .max(1000),
  })
  .meta({ id: 'RejectRequestBody' });
export type RejectRequestBody = z.infer<typeof RejectRequestBody>;

export const ApprovalDecisionResult = z
  .object({
    requestId: z.string(),
    status: z.enum(['pending', 'approved', 'rejected']),
    approvals: z.number().int(),
    needed: z.number().int(),
  })
  .meta({ id: 'ApprovalDecisionResult' });
export type ApprovalDecisionResult = z.infer<typeof ApprovalDecisionResult>;
