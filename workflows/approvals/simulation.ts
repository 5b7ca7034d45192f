// What a policy would have done to requests already made: the stored decisions replayed, in
// the order and at the times they were taken, through the same evaluator the API and the
// workflows decide with (./policy.ts). Pure, so the API's simulation route and the unit tests
// share it. The semantics (docs/decisions/0020-approval-policy-editing.md):
//
// - the rule is the policy's first rule matching the request's attributes; none, or one with
//   no stages: `allowed` (no approval needed);
// - stage k of that rule runs from the request's creation plus the expiries of the stages
//   before it; a decision falls into the stage its time lies in, and one taken after the last
//   stage expired does not count;
// - each decision is judged as it was taken (the approver's role and groups as they are now;
//   a delegate's decision with the absent person's): refused ones are not counted, and one
//   refused because the person is not an approver (or outside the hours) names them;
// - then: approved → `allowed`; rejected → `blocked`; still short of its quorum → `needs-someone-else`
//   when a decision did not count because of who took it, `pending` when the request is still in
//   flight and its time has not run out, `blocked` otherwise (not enough approvals).
import type {
  ApprovalPolicy,
  ApprovalState,
  Approver,
  RecordedDecision,
  RequestAttributes,
  SimulatedOutcome,
} from './policy.ts';
import { applicableRule, approvalsCounted, describeRequirement, evaluateDecision } from './policy.ts';

export { SIMULATED_OUTCOMES } from './policy.ts';

export interface StoredDecision {
  userId: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  /** Epoch milliseconds. */
  at: number;
  onBehalfOf?: string | null;
}

export interface StoredRequest {
  requesterId: string | null;
  attributes: RequestAttributes;
  /** Epoch milliseconds. */
  createdAt: number;
  decisions: StoredDecision[];
  /** Still waiting for decisions (its workflow is open). */
  inFlight: boolean;
}

export interface SimulationVerdict {
  outcome: SimulatedOutcome;
  /** The rule that applies (null: none matches). */
  rule: string | null;
  /** One sentence a person reads. */
  reason: string;
  approvals: number;
  needed: number;
  /** Who decided but would not count under this policy (user ids). */
  notCounted: string[];
}

/**
 * The outcome `policy` gives `request`. `approverOf` returns a person as an approver of the
 * request's tenant (role, groups, platform admin flag).
 */
export function simulateRequest(
  policy: ApprovalPolicy,
  request: StoredRequest,
  approverOf: (userId: string) => Approver,
  now: number,
): SimulationVerdict {
  const rule = applicableRule(policy, request.attributes);
  if (!rule || rule.stages.length === 0)
    return {
      outcome: 'allowed',
      rule: rule?.name ?? null,
      reason: rule ? `Rule "${rule.name}" needs no approval.` : 'No rule matches: no approval needed.',
      approvals: 0,
      needed: 0,
      notCounted: [],
    };
  const state: ApprovalState = { requesterId: request.requesterId, stage: 0, status: 'pending', decisions: [] };
  const notCounted: string[] = [];
  let stageStart = request.createdAt;
  let closedBy: StoredDecision | null = null;
  const decisions = [...request.decisions].sort((a, b) => a.at - b.at);
  for (const taken of decisions) {
    while (state.stage < rule.stages.length && taken.at >= stageStart + rule.stages[state.stage]!.expiresAfterMs) {
      stageStart += rule.stages[state.stage]!.expiresAfterMs;
      state.stage += 1;
    }
    if (state.stage >= rule.stages.length) break;
    const absent = taken.onBehalfOf ?? null;
    const approver: Approver = absent
      ? { ...approverOf(absent), userId: taken.userId, onBehalfOf: absent }
      : approverOf(taken.userId);
    const verdict = evaluateDecision(
      rule,
      state,
      approver,
      { decision: taken.decision, comment: taken.comment },
      new Date(taken.at),
    );
    if (!verdict.allowed) {
      if (verdict.code === 'not-an-approver' || verdict.code === 'outside-hours' || verdict.code === 'requester')
        notCounted.push(taken.userId);
      continue;
    }
    const recorded: RecordedDecision = { userId: taken.userId, decision: taken.decision, stage: state.stage };
    if (absent) recorded.onBehalfOf = absent;
    state.decisions.push(recorded);
    if (verdict.completes) {
      state.status = taken.decision === 'approve' ? 'approved' : 'rejected';
      closedBy = taken;
      break;
    }
  }
  // Stages that ran out with no decision in them (time passes after the last decision too).
  const lastStage = Math.min(state.stage, rule.stages.length - 1);
  const stage = rule.stages[lastStage]!;
  const approvals = approvalsCounted(lastStage, state.decisions);
  const base = { rule: rule.name, approvals, needed: stage.approvers.count, notCounted };
  if (state.status === 'approved')
    return {
      ...base,
      outcome: 'allowed',
      reason: `Approved at stage "${stage.name}" (${describeRequirement(stage.approvers)}).`,
    };
  if (state.status === 'rejected')
    return {
      ...base,
      outcome: 'blocked',
      reason: `Rejected${closedBy?.comment ? `: ${closedBy.comment}` : ''}.`,
    };
  const deadline = request.createdAt + rule.stages.reduce((sum, each) => sum + each.expiresAfterMs, 0);
  if (notCounted.length > 0)
    return {
      ...base,
      outcome: 'needs-someone-else',
      reason: `${notCounted.length === 1 ? 'A decision' : `${notCounted.length} decisions`} would not count: stage "${stage.name}" needs ${describeRequirement(stage.approvers)}.`,
    };
  if (request.inFlight && now < deadline)
    return {
      ...base,
      outcome: 'pending',
      reason: `Waiting: ${approvals} of ${stage.approvers.count} approvals at stage "${stage.name}".`,
    };
  return {
    ...base,
    outcome: 'blocked',
    reason: `Not enough approvals: ${approvals} of ${stage.approvers.count} (${describeRequirement(stage.approvers)}).`,
  };
}
