// Approval policies and their evaluator: pure data and pure functions, so the API (before
// it signs an approval assertion) and the workflows (in their Update validators) decide with
// the same code. The zod schema that validates a policy given by a person is
// contracts/approvals.ts; this file only states the shapes and the rules.

/** Who may approve at a stage: N people of a role, or N people of a named group. */
export type ApproverRequirement =
  { kind: 'role'; role: ApproverRole; count: number } | { kind: 'group'; group: string; count: number };

/** Tenant roles, plus Atrium's platform admins. */
export const APPROVER_ROLES = ['platform-admin', 'owner', 'admin', 'developer', 'viewer'] as const;
export type ApproverRole = (typeof APPROVER_ROLES)[number];

/** What a simulated policy does to a stored request (./simulation.ts). */
export const SIMULATED_OUTCOMES = ['allowed', 'blocked', 'needs-someone-else', 'pending'] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

export const APPROVAL_RISKS = ['low', 'medium', 'high'] as const;
export type ApprovalRisk = (typeof APPROVAL_RISKS)[number];

/** Hours of the day (UTC, [fromHour, toHour)) in which decisions are taken; wraps past midnight. */
export interface DecisionHours {
  fromHour: number;
  toHour: number;
}

/**
 * One stage of the escalation chain. The request starts at the first stage; when a stage
 * expires unanswered it escalates to the next, and the last stage's expiry rejects it.
 */
export interface ApprovalStage {
  name: string;
  approvers: ApproverRequirement;
  expiresAfterMs: number;
  /** Decisions at this stage only within these hours (e.g. a change window). Absent: any time. */
  hours?: DecisionHours;
}

/** Which requests a rule applies to: every listed attribute must match (absent: any). */
export interface RequestConditions {
  environments?: string[];
  risks?: ApprovalRisk[];
  plans?: string[];
}

export interface ApprovalRule {
  name: string;
  when?: RequestConditions;
  /** No stages: requests matching this rule need no approval. */
  stages: ApprovalStage[];
  /** A rejection must say why (default true); an approval may always carry a comment. */
  rejectionNeedsComment?: boolean;
}

/** A policy: the first rule whose conditions match a request applies; none matching, no approval. */
export interface ApprovalPolicy {
  version: 1;
  rules: ApprovalRule[];
}

/** What a request is about, as the policy's conditions read it. */
export interface RequestAttributes {
  environment?: string;
  risk?: ApprovalRisk;
  plan?: string;
}

/** Who decides, as the API authenticated them (and signed in the approval assertion). */
export interface Approver {
  userId: string;
  /**
   * Deciding in place of this absent person (a delegation in force): the stage's requirement
   * is read from the absent person's role and groups (`tenantRole`, `groups`, `platformAdmin`
   * are theirs), separation of duties from both.
   */
  onBehalfOf?: string | null;
  platformAdmin: boolean;
  /** Their role in the request's tenant (null: not a member). */
  tenantRole: ApproverRole | null;
  groups: string[];
}

export interface RecordedDecision {
  userId: string;
  decision: 'approve' | 'reject';
  stage: number;
  /** The absent approver this decision was taken for (a delegation), if any. */
  onBehalfOf?: string | null;
}

/** The state a decision is judged against. */
export interface ApprovalState {
  requesterId: string | null;
  /** The stage the request is at (index into the applying rule's stages). */
  stage: number;
  status: 'pending' | 'approved' | 'rejected';
  decisions: RecordedDecision[];
}

export type DecisionVerdict =
  { allowed: true; completes: boolean } | { allowed: false; code: RefusalCode; reason: string };

export type RefusalCode =
  'closed' | 'requester' | 'decided-already' | 'not-an-approver' | 'outside-hours' | 'comment-required';

/** The rule that applies to a request, or null (no approval needed). */
export function applicableRule(policy: ApprovalPolicy, attributes: RequestAttributes): ApprovalRule | null {
  return policy.rules.find((rule) => matches(rule.when, attributes)) ?? null;
}

function matches(when: RequestConditions | undefined, attributes: RequestAttributes): boolean {
  if (!when) return true;
  const fits = (allowed: readonly string[] | undefined, value: string | undefined) =>
    allowed === undefined || (value !== undefined && allowed.includes(value));
  return (
    fits(when.environments, attributes.environment) &&
    fits(when.risks, attributes.risk) &&
    fits(when.plans, attributes.plan)
  );
}

/** Whether `approver` is one of the people a stage asks for. */
export function fitsRequirement(requirement: ApproverRequirement, approver: Approver): boolean {
  if (requirement.kind === 'group') return approver.groups.includes(requirement.group);
  if (requirement.role === 'platform-admin') return approver.platformAdmin;
  // A tenant role counts for itself and anything less powerful (an owner may do an admin's part).
  if (approver.tenantRole === null || approver.tenantRole === 'platform-admin') return false;
  return ROLE_ORDER.indexOf(approver.tenantRole) <= ROLE_ORDER.indexOf(requirement.role);
}

const ROLE_ORDER: readonly ApproverRole[] = ['owner', 'admin', 'developer', 'viewer'];

function withinHours(hours: DecisionHours | undefined, now: Date): boolean {
  if (!hours) return true;
  const hour = now.getUTCHours();
  return hours.fromHour <= hours.toHour
    ? hour >= hours.fromHour && hour < hours.toHour
    : hour >= hours.fromHour || hour < hours.toHour;
}

/**
 * Judges one decision: separation of duties (the requester never decides on their own
 * request; one person decides once), the stage's approvers and hours, and the comment a
 * rejection needs. `completes` says whether an approval reaches the stage's quorum.
 */
export function evaluateDecision(
  rule: ApprovalRule,
  state: ApprovalState,
  approver: Approver,
  decision: { decision: 'approve' | 'reject'; comment?: string | null },
  now: Date,
): DecisionVerdict {
  if (state.status !== 'pending') return refuse('closed', `The request was ${state.status} already.`);
  const stage = rule.stages[state.stage];
  if (!stage) return refuse('closed', 'The request has no open stage.');
  if (state.requesterId !== null && approver.userId === state.requesterId)
    return refuse('requester', 'You asked for this: someone else must decide on it (separation of duties).');
  const absent = approver.onBehalfOf ?? null;
  if (absent !== null && absent === state.requesterId)
    return refuse('requester', 'The person you stand in for asked for this: someone else must decide on it.');
  // One person decides once: in person or through a delegate, never both.
  const decidedFor = (userId: string) =>
    state.decisions.some((taken) => taken.userId === userId || (taken.onBehalfOf ?? null) === userId);
  if (decidedFor(approver.userId))
    return refuse('decided-already', 'You decided on this request already: one person decides once.');
  if (absent !== null && decidedFor(absent))
    return refuse('decided-already', 'The person you stand in for has decided on this request already.');
  if (!fitsRequirement(stage.approvers, approver))
    return refuse('not-an-approver', `Stage "${stage.name}" needs ${describeRequirement(stage.approvers)}.`);
  if (!withinHours(stage.hours, now))
    return refuse(
      'outside-hours',
      `Stage "${stage.name}" takes decisions between ${stage.hours?.fromHour}:00 and ${stage.hours?.toHour}:00 UTC.`,
    );
  if (decision.decision === 'reject') {
    if ((rule.rejectionNeedsComment ?? true) && !decision.comment?.trim())
      return refuse('comment-required', 'Say why the request is rejected (comment).');
    return { allowed: true, completes: true };
  }
  const approvals = approvalsCounted(state.stage, state.decisions) + 1;
  return { allowed: true, completes: approvals >= stage.approvers.count };
}

/**
 * How many approvals count toward a stage: those given at it, one per person. After an
 * escalation the next group decides afresh (approvals of the group that let it expire do not count).
 */
export function approvalsCounted(stage: number, decisions: readonly RecordedDecision[]): number {
  return new Set(
    decisions
      .filter((taken) => taken.decision === 'approve' && taken.stage === stage)
      .map((taken) => taken.onBehalfOf ?? taken.userId),
  ).size;
}

/** "2 × admin", "1 × group release-managers": how people read a requirement. */
export function describeRequirement(requirement: ApproverRequirement): string {
  const who = requirement.kind === 'role' ? requirement.role : `group ${requirement.group}`;
  return `${requirement.count} × ${who}`;
}

function refuse(code: RefusalCode, reason: string): DecisionVerdict {
  return { allowed: false, code, reason };
}

/** The policy of a tenant's approval by Atrium: `approvers` platform admins (one by default) within `timeoutMs`. */
export function tenantApprovalPolicy(timeoutMs: number, approvers = 1): ApprovalPolicy {
  return {
    version: 1,
    rules: [
      {
        name: 'enterprise tenants',
        stages: [
          {
            name: 'platform admins',
            approvers: { kind: 'role', role: 'platform-admin', count: approvers },
            expiresAfterMs: timeoutMs,
          },
        ],
        rejectionNeedsComment: true,
      },
    ],
  };
}

/**
 * What applies to a tenant's environment when the tenant stored no policy for it and no
 * default of its own: production (`prod`, `production`) needs one admin (or owner) within a
 * day; other environments need no approval. The policy editor shows it in its empty state.
 */
export const PLATFORM_DEFAULT_POLICY: ApprovalPolicy = {
  version: 1,
  rules: [
    {
      name: 'production',
      when: { environments: ['prod', 'production'] },
      stages: [{ name: 'admins', approvers: { kind: 'role', role: 'admin', count: 1 }, expiresAfterMs: 86_400_000 }],
    },
    { name: 'other environments', stages: [] },
  ],
};
