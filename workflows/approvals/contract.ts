// The approval primitive's contract: the Updates that carry decisions, the signal that asks
// a waiting workflow to re-read Atrium's verification keys, and the shapes the API, the
// activities and the workflows share. Any workflow that waits for approval registers these
// through openApprovalGate (./gate.ts); the API finds the workflow from the stored request.
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSubjectKind } from '../../contracts/approvals.ts';
import type { ApprovalPolicy, RequestAttributes } from './policy.ts';

/** What an approval is about (the queue shows it; mails name it). A plan change's id is `<slug>/<n>`. */
export interface ApprovalSubject {
  kind: ApprovalSubjectKind;
  id: string;
  label: string;
}

/** An approver's decision as the API sends it: the signed assertion carries who decides. */
export interface ApprovalDecisionArgs {
  requestId: string;
  assertion: string;
  comment?: string | null;
}

/** The request after a decision was taken: still open (quorum not reached) or closed. */
export interface ApprovalDecisionOutcome {
  requestId: string;
  status: 'pending' | 'approved' | 'rejected';
  approvals: number;
  needed: number;
}

/**
 * Validated Updates: the validator refuses, before anything enters history, a decision
 * without a valid, unexpired assertion bound to this workflow, request and action, and
 * anything the policy refuses (requester, second decision, wrong approver, hours, comment).
 */
export const approveRequestUpdate = defineUpdate<ApprovalDecisionOutcome, [ApprovalDecisionArgs]>('approveRequest');
export const rejectRequestUpdate = defineUpdate<ApprovalDecisionOutcome, [ApprovalDecisionArgs]>('rejectRequest');

/**
 * Carries nothing: it only makes the workflow read the verification keys again through an
 * activity (after a key rotation). Anyone may send it; it cannot add a key.
 */
export const refreshApprovalKeysSignal = defineSignal('refreshApprovalKeys');

export interface OpenApprovalInput {
  requestId: string;
  tenantId: string;
  workflowId: string;
  subject: ApprovalSubject;
  requesterId: string | null;
  attributes: RequestAttributes;
  policy: ApprovalPolicy;
  /** The applying rule's name (the queue and the simulation show it). */
  rule: string;
}

export interface ApprovalResult {
  requestId: string;
  status: 'approved' | 'rejected';
  /** Why it was rejected (the rejecting approver's comment, or the expiry). */
  reason: string | null;
  /** The approver whose decision closed it (null: the policy needed none, or it expired). */
  decidedBy: { userId: string; requestId: string | null } | null;
}
