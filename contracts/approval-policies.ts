// Approval policies as tenant data on the wire: one policy per environment ('' is the
// tenant's default; `_default` in a URL), the named approval groups a policy may ask for,
// the simulation of a proposed policy against the requests already made, and delegations
// (someone decides in place of an absent approver for a while).
import { z } from 'zod';
import { APPROVAL_RISKS, APPROVER_ROLES, SIMULATED_OUTCOMES } from '../workflows/approvals/policy.ts';
import { APPROVAL_REQUEST_STATUSES, ApprovalPolicy } from './approvals.ts';
import { TenantPath } from './common.ts';

export { APPROVAL_RISKS, APPROVER_ROLES, SIMULATED_OUTCOMES };

/** The tenant's default policy in URLs (the stored environment is ''). */
export const DEFAULT_ENVIRONMENT_SEGMENT = '_default';

/** An environment's name as policies name it (like `prod`, `staging`), or `_default`. */
export const policyEnvironment = z
  .string()
  .trim()
  .max(40, 'Use at most 40 characters.')
  .regex(
    /^(_default|[a-z][a-z0-9-]*)$/,
    'Use lowercase letters, digits and -, starting with a letter (or _default for the tenant default).',
  )
  .transform((value) => (value === DEFAULT_ENVIRONMENT_SEGMENT ? '' : value));

export const ApprovalPolicyPath = z.strictObject({ slug: TenantPath.shape.slug, environment: policyEnvironment });

export const StoredApprovalPolicy = z
  .object({
    /** '' for the tenant's default. */
    environment: z.string(),
    policy: ApprovalPolicy,
    updatedBy: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'StoredApprovalPolicy' });
export type StoredApprovalPolicy = z.infer<typeof StoredApprovalPolicy>;

export const ApprovalPolicyList = z
  .object({
    policies: z.array(StoredApprovalPolicy),
    /** What applies where the tenant stored nothing (neither for the environment nor as default). */
    platformDefault: ApprovalPolicy,
  })
  .meta({ id: 'ApprovalPolicyList' });
export type ApprovalPolicyList = z.infer<typeof ApprovalPolicyList>;

export const POLICY_SOURCES = ['environment', 'tenant-default', 'platform-default'] as const;

/** The policy that applies to one environment, and where it comes from. */
export const EffectiveApprovalPolicy = z
  .object({
    environment: z.string(),
    source: z.enum(POLICY_SOURCES),
    policy: ApprovalPolicy,
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'EffectiveApprovalPolicy' });
export type EffectiveApprovalPolicy = z.infer<typeof EffectiveApprovalPolicy>;

export const PutApprovalPolicyBody = z.strictObject({ policy: ApprovalPolicy }).meta({ id: 'PutApprovalPolicyBody' });
export type PutApprovalPolicyBody = z.infer<typeof PutApprovalPolicyBody>;

export const SimulateApprovalPolicyBody = z
  .strictObject({ policy: ApprovalPolicy })
  .meta({ id: 'SimulateApprovalPolicyBody' });

export const SimulatedVerdict = z.object({
  outcome: z.enum(SIMULATED_OUTCOMES),
  rule: z.string().nullable(),
  reason: z.string(),
  approvals: z.number().int(),
  needed: z.number().int(),
  /** Who decided but would not count (e-mail addresses). */
  notCounted: z.array(z.string()),
});
export type SimulatedVerdict = z.infer<typeof SimulatedVerdict>;

export const ApprovalSimulation = z
  .object({
    environment: z.string(),
    /** The policy the simulation compares against, and where it comes from. */
    currentSource: z.enum(POLICY_SOURCES),
    /** The requests read: created since `since`, and those still pending. */
    since: z.string(),
    requests: z.array(
      z.object({
        id: z.string(),
        subject: z.object({ kind: z.string(), id: z.string(), label: z.string() }),
        requester: z.string().nullable(),
        createdAt: z.string(),
        /** What really happened. */
        status: z.enum(APPROVAL_REQUEST_STATUSES),
        current: SimulatedVerdict,
        proposed: SimulatedVerdict,
        /** The proposed policy gives another outcome than the current one. */
        changed: z.boolean(),
      }),
    ),
    summary: z.object({
      current: z.record(z.enum(SIMULATED_OUTCOMES), z.number().int()),
      proposed: z.record(z.enum(SIMULATED_OUTCOMES), z.number().int()),
      changed: z.number().int(),
    }),
  })
  .meta({ id: 'ApprovalSimulation' });
export type ApprovalSimulation = z.infer<typeof ApprovalSimulation>;

/** A named approval group (`release-managers`): what a policy's `{ kind: 'group' }` asks for. */
export const approvalGroupName = z
  .string()
  .trim()
  .min(1, 'Give it a name.')
  .max(80, 'Use at most 80 characters.')
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'Use lowercase letters, digits, ., _ and -.');

export const ApprovalGroupPath = z.strictObject({ slug: TenantPath.shape.slug, group: approvalGroupName });
export const ApprovalGroupMemberPath = ApprovalGroupPath.extend({ userId: z.uuid('Use a user id.') });

export const ApprovalGroupList = z
  .object({
    groups: z.array(
      z.object({
        name: z.string(),
        members: z.array(z.object({ userId: z.string(), email: z.string(), displayName: z.string() })),
      }),
    ),
  })
  .meta({ id: 'ApprovalGroupList' });
export type ApprovalGroupList = z.infer<typeof ApprovalGroupList>;

export const ApprovalGroupMembership = z
  .object({ group: z.string(), userId: z.string() })
  .meta({ id: 'ApprovalGroupMembership' });
export type ApprovalGroupMembership = z.infer<typeof ApprovalGroupMembership>;

/** Someone decides in place of an absent approver for a while (never on the absent one's own requests). */
export const CreateApprovalDelegationBody = z
  .strictObject({
    delegateId: z.uuid('Choose a member of the tenant (user id).'),
    startsAt: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 date and time.' }),
    endsAt: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 date and time.' }),
  })
  .superRefine((body, ctx) => {
    const starts = Date.parse(body.startsAt);
    const ends = Date.parse(body.endsAt);
    if (ends <= starts) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'End after the start.' });
    else if (ends - starts > 90 * 86_400_000)
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'A delegation lasts at most 90 days.' });
  })
  .meta({ id: 'CreateApprovalDelegationBody' });
export type CreateApprovalDelegationBody = z.infer<typeof CreateApprovalDelegationBody>;

export const ApprovalDelegation = z
  .object({
    id: z.string(),
    /** The absent person. */
    user: z.object({ id: z.string(), email: z.string() }),
    delegate: z.object({ id: z.string(), email: z.string() }),
    startsAt: z.string(),
    endsAt: z.string(),
    revokedAt: z.string().nullable(),
    /** In force now. */
    active: z.boolean(),
  })
  .meta({ id: 'ApprovalDelegation' });
export type ApprovalDelegation = z.infer<typeof ApprovalDelegation>;

export const ApprovalDelegationList = z
  .object({
    /** Delegations the caller gave (they are away). */
    given: z.array(ApprovalDelegation),
    /** Delegations naming the caller as the delegate. */
    received: z.array(ApprovalDelegation),
  })
  .meta({ id: 'ApprovalDelegationList' });
export type ApprovalDelegationList = z.infer<typeof ApprovalDelegationList>;

export const ApprovalDelegationPath = z.strictObject({
  slug: TenantPath.shape.slug,
  delegationId: z.uuid('Use a delegation id.'),
});
