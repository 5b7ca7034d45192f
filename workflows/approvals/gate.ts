// The approval primitive inside a workflow: opens a stored approval request, takes approve
// and reject Updates whose validators verify the API's signed assertion and the policy, runs
// the escalation chain on durable timers, and resolves with the outcome. Deterministic:
// time is the workflow's clock, the keys come from an activity (public keys only).
import { condition, isCancellation, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { ApprovalActivities } from '../../activities/approvals/index.ts';
import type { AssertionClaims, VerificationKey } from './assertion.ts';
import { readClaims, verifyAssertion } from './assertion.ts';
import type { ApprovalDecisionArgs, ApprovalDecisionOutcome, ApprovalResult, ApprovalSubject } from './contract.ts';
import { approveRequestUpdate, refreshApprovalKeysSignal, rejectRequestUpdate } from './contract.ts';
import type { ApprovalPolicy, ApprovalState, Approver, RequestAttributes } from './policy.ts';
import { applicableRule, approvalsCounted, evaluateDecision } from './policy.ts';

/** The approver an assertion names (a delegate carries the absent person's role and groups). */
function approverFrom(claims: AssertionClaims): Approver {
  return {
    userId: claims.sub,
    platformAdmin: claims.platformAdmin,
    tenantRole: claims.tenantRole,
    groups: claims.groups,
    ...(claims.obo ? { onBehalfOf: claims.obo } : {}),
  };
}

/** Marks runs whose close waits for the record of the completing decision. */
export const APPROVAL_CLOSE_AFTER_DECISION_PATCH = 'approval-close-after-decision';

export interface ApprovalGateOptions {
  /** Unique per request; the workflow derives it (e.g. `<workflowId>/approval`). */
  requestId: string;
  tenantId: string;
  subject: ApprovalSubject;
  /** Who asked (separation of duties: never an approver of their own request). */
  requesterId: string | null;
  attributes: RequestAttributes;
  policy: ApprovalPolicy;
  /** Options of the approval activities (the caller's database retry policy). */
  activityOptions: ActivityOptions;
  /** Runs once the request is stored and takes decisions (e.g. marking the subject as waiting). */
  afterOpen?: () => Promise<void>;
}

/**
 * Opens the request and waits for its outcome. Call it once per request, from the workflow's
 * main path: it registers the Update handlers before the request is stored, so the API never
 * finds a stored request whose workflow would not take a decision.
 */
export async function awaitApproval(options: ApprovalGateOptions): Promise<ApprovalResult> {
  const { requestId, tenantId } = options;
  const activities = proxyActivities<ApprovalActivities>(options.activityOptions);
  const workflowId = workflowInfo().workflowId;
  const rule = applicableRule(options.policy, options.attributes);
  if (!rule || rule.stages.length === 0) return { requestId, status: 'approved', reason: null, decidedBy: null };

  let keys: VerificationKey[] = (await activities.loadApprovalVerificationKeys()).keys;
  const state: ApprovalState = { requesterId: options.requesterId, stage: 0, status: 'pending', decisions: [] };
  let closing: { reason: string | null; decidedBy: ApprovalResult['decidedBy'] } | null = null;
  let closed = false;
  let keysWanted = false;
  // The record of the decision that completed the request: the close waits for it.
  let completingRecord: Promise<unknown> | null = null;

  const handle = (action: 'approve' | 'reject') => ({
    validator: (args: ApprovalDecisionArgs) => {
      const check = verifyAssertion(args.assertion, keys, { workflowId, requestId, action }, Date.now());
      if (!check.valid) throw new Error(`Refused: ${check.reason}.`);
      if (args.requestId !== requestId) throw new Error('Refused: the decision is for another approval request.');
      const { claims } = check;
      const verdict = evaluateDecision(
        rule,
        state,
        approverFrom(claims),
        { decision: action, comment: args.comment ?? null },
        new Date(),
      );
      if (!verdict.allowed) throw new Error(`Refused (${verdict.code}): ${verdict.reason}`);
    },
    handler: async (args: ApprovalDecisionArgs): Promise<ApprovalDecisionOutcome> => {
      // The validator verified the assertion (it does not run again on replay). The state
      // changes before the first await, so a second Update in the same workflow task is
      // judged against this decision.
      const claims = readClaims(args.assertion);
      if (!claims) throw new Error('Refused: the approval assertion is malformed.');
      const stage = state.stage;
      const verdict = evaluateDecision(
        rule,
        state,
        approverFrom(claims),
        { decision: action, comment: args.comment ?? null },
        new Date(),
      );
      if (!verdict.allowed) throw new Error(`Refused (${verdict.code}): ${verdict.reason}`);
      // A delegate's decision counts for the absent person (one person decides once).
      state.decisions.push({
        userId: claims.sub,
        decision: action,
        stage,
        ...(claims.obo ? { onBehalfOf: claims.obo } : {}),
      });
      const comment = args.comment?.trim() || null;
      if (verdict.completes) {
        state.status = action === 'approve' ? 'approved' : 'rejected';
        closing = {
          reason: action === 'reject' ? comment : null,
          decidedBy: { userId: claims.sub, requestId: claims.rid },
        };
      }
      const recorded = activities.recordApprovalDecision({
        requestId,
        tenantId,
        userId: claims.sub,
        decision: action,
        comment,
        stage,
        apiRequestId: claims.rid,
        ...(claims.obo ? { onBehalfOf: claims.obo } : {}),
      });
      if (verdict.completes) completingRecord = recorded;
      await recorded;
      if (verdict.completes) await condition(() => closed);
      return {
        requestId,
        status: state.status,
        approvals: approvalsCounted(stage, state.decisions),
        needed: rule.stages[stage]?.approvers.count ?? 0,
      };
    },
  });
  const approve = handle('approve');
  const reject = handle('reject');
  setHandler(approveRequestUpdate, approve.handler, { validator: approve.validator });
  setHandler(rejectRequestUpdate, reject.handler, { validator: reject.validator });
  setHandler(refreshApprovalKeysSignal, () => {
    keysWanted = true;
  });

  // Re-reads the keys whenever asked, for as long as the request is open.
  const refresher = (async () => {
    for (;;) {
      await condition(() => keysWanted || closed);
      if (closed) return;
      keysWanted = false;
      keys = (await activities.loadApprovalVerificationKeys()).keys;
    }
  })();
  // Cancelling the workflow while it waits (an offboarding ends a tenant's promotions) rejects
  // the refresher's wait too, while the main path carries the cancellation out of the workflow.
  // Left unhandled, that rejection would fail every workflow task and the cancelled workflow
  // would never close. Handling it adds no command: histories replay as before.
  void refresher.catch((error: unknown) => {
    if (!isCancellation(error)) throw error;
  });

  const expiresAt = (stage: number) => new Date(Date.now() + (rule.stages[stage]?.expiresAfterMs ?? 0)).toISOString();
  await activities.openApprovalRequest({
    requestId,
    tenantId,
    workflowId,
    subject: options.subject,
    requesterId: options.requesterId,
    attributes: options.attributes,
    policy: options.policy,
    rule: rule.name,
    expiresAt: expiresAt(0),
  });
  await options.afterOpen?.();

  for (;;) {
    const stage = rule.stages[state.stage]!;
    const decided = await condition(() => state.status !== 'pending', stage.expiresAfterMs);
    if (decided) break;
    if (state.stage + 1 < rule.stages.length) {
      state.stage += 1;
      await activities.escalateApprovalRequest({
        requestId,
        tenantId,
        toStage: state.stage,
        expiresAt: expiresAt(state.stage),
      });
      continue;
    }
    // The last stage expired: the request is rejected by the system; later decisions are refused.
    state.status = 'rejected';
    closing = { reason: `no decision within the approval's time (last stage "${stage.name}")`, decidedBy: null };
    break;
  }

  // The completing decision is recorded before the request is closed, so the audit log reads
  // "approved" (or "rejected") then "closed". Runs recorded before this patch closed at once.
  if (completingRecord && patched(APPROVAL_CLOSE_AFTER_DECISION_PATCH)) {
    await (completingRecord as Promise<unknown>).catch(() => undefined);
  }

  const result: ApprovalResult = {
    requestId,
    status: state.status === 'approved' ? 'approved' : 'rejected',
    reason: closing?.reason ?? null,
    decidedBy: closing?.decidedBy ?? null,
  };
  await activities.closeApprovalRequest({
    requestId,
    tenantId,
    status: result.status,
    reason: result.reason,
    expired: result.decidedBy === null,
    decidedBy: result.decidedBy?.userId ?? null,
  });
  closed = true;
  await refresher;
  return result;
}
