// One decision on an approval request, from an authenticated person to the waiting workflow.
// The API is where I/O happens, so it authorises here with the same policy evaluator the
// workflow runs, writes every refusal to the audit log, and only then signs an assertion
// (who decides, on which workflow and request, which action, valid briefly) and sends the
// Update. The workflow's validator checks the assertion and the policy again: an Update sent
// around the API (the Temporal UI, tctl) has no valid assertion and is refused.
import type { Request, Response } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { EntityManager } from 'typeorm';
import type { ApprovalRequestRow } from '../../db/repositories/approvals.ts';
import { absenteesFor, approvalGroupsOf } from '../../db/repositories/approvals.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ApprovalDecisionOutcome } from '../../workflows/approvals/contract.ts';
import {
  approveRequestUpdate,
  refreshApprovalKeysSignal,
  rejectRequestUpdate,
} from '../../workflows/approvals/contract.ts';
import type {
  Approver,
  ApprovalRule,
  ApprovalState,
  DecisionVerdict,
  RefusalCode,
} from '../../workflows/approvals/policy.ts';
import { evaluateDecision } from '../../workflows/approvals/policy.ts';
import { actorOf, authOf } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError } from '../http/problem.ts';

export type DecisionAction = 'approve' | 'reject';

/** The rule a stored request is judged by (its policy is stored with it). */
export function ruleOf(request: ApprovalRequestRow): ApprovalRule | null {
  return request.policy.rules.find((rule) => rule.name === request.rule) ?? null;
}

export function stateOf(request: ApprovalRequestRow): ApprovalState {
  return {
    requesterId: request.requesterId,
    stage: request.stage,
    status: request.status === 'pending' ? 'pending' : request.status === 'approved' ? 'approved' : 'rejected',
    decisions: request.decisions.map(({ userId, decision, stage, onBehalfOf }) => ({
      userId,
      decision,
      stage,
      ...(onBehalfOf ? { onBehalfOf } : {}),
    })),
  };
}

/** The caller as an approver of `tenantId`: platform admin flag, tenant role, groups. */
export async function approverOf(
  db: EntityManager,
  tenantId: string,
  userId: string,
  platformAdmin: boolean,
): Promise<Approver> {
  const membership = await db.query<Array<{ role: Approver['tenantRole'] }>>(
    `SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2`,
    [tenantId, userId],
  );
  return {
    userId,
    platformAdmin,
    tenantRole: membership[0]?.role ?? null,
    groups: await approvalGroupsOf(db, tenantId, userId),
  };
}

/**
 * The caller standing in for each person whose delegation to them is in force: the absent
 * person's tenant role and groups, the caller's identity. Never a platform admin's standing
 * (that is Atrium's, not the tenant's to hand on).
 */
export async function standInsOf(db: EntityManager, tenantId: string, userId: string, now = new Date()) {
  const standIns: Approver[] = [];
  for (const absent of await absenteesFor(db, tenantId, userId, now)) {
    const their = await approverOf(db, tenantId, absent, false);
    standIns.push({ ...their, userId, onBehalfOf: absent });
  }
  return standIns;
}

/**
 * The caller's verdict in person; when the stage does not ask for them, the first delegation
 * under which they may decide in place of an absent approver. Separation of duties holds
 * either way (the evaluator refuses the requester, and anyone who decided, in person or
 * through a delegate).
 */
export function decidingAs(
  request: ApprovalRequestRow,
  approver: Approver,
  standIns: readonly Approver[],
  action: DecisionAction,
  comment: string | null,
  now = new Date(),
): { approver: Approver; verdict: DecisionVerdict } {
  const own = verdictFor(request, approver, action, comment, now);
  if (own.allowed || own.code !== 'not-an-approver') return { approver, verdict: own };
  for (const standIn of standIns) {
    const verdict = verdictFor(request, standIn, action, comment, now);
    if (verdict.allowed) return { approver: standIn, verdict };
  }
  return { approver, verdict: own };
}

/** The policy's verdict on the caller deciding now (for the queue's "can decide" and before signing). */
export function verdictFor(
  request: ApprovalRequestRow,
  approver: Approver,
  action: DecisionAction,
  comment: string | null,
  now = new Date(),
): DecisionVerdict {
  const rule = ruleOf(request);
  if (!rule)
    return { allowed: false, code: 'closed', reason: `The request's rule "${request.rule}" is not in its policy.` };
  return evaluateDecision(rule, stateOf(request), approver, { decision: action, comment }, now);
}

const REFUSAL_PROBLEMS: Record<RefusalCode, 'forbidden' | 'conflict' | 'validation'> = {
  requester: 'forbidden',
  'not-an-approver': 'forbidden',
  'outside-hours': 'forbidden',
  'decided-already': 'conflict',
  closed: 'conflict',
  'comment-required': 'validation',
};

async function auditRefusal(
  deps: ApiDeps,
  req: Request,
  res: Response,
  request: ApprovalRequestRow,
  action: DecisionAction,
  refusal: { by: 'api' | 'workflow'; code: string; reason: string },
): Promise<void> {
  await withTenantScope(deps.dataSource, request.tenantId, (db) =>
    appendAuditEntry(db, {
      tenantId: request.tenantId,
      actor: actorOf(req, res),
      action: 'approval.refused',
      targetType: 'approval_request',
      targetId: request.id,
      after: { action, refusedBy: refusal.by, code: refusal.code, reason: refusal.reason },
    }),
  );
}

/**
 * Authorises and sends one decision; throws a ProblemError (after auditing it) when the
 * caller may not take it. Returns the request's state after the decision.
 */
export async function decideApprovalRequest(
  deps: ApiDeps,
  req: Request,
  res: Response,
  request: ApprovalRequestRow,
  action: DecisionAction,
  comment: string | null,
): Promise<ApprovalDecisionOutcome> {
  const auth = authOf(res);
  if (auth.apiKey) {
    const reason = 'Approvals are decided by people, not API keys.';
    await auditRefusal(deps, req, res, request, action, { by: 'api', code: 'api-key', reason });
    throw new ProblemError('forbidden', reason);
  }
  const platformAdmin = auth.platformAdmin;
  const { approver: own, standIns } = await withTenantScope(deps.dataSource, request.tenantId, async (db) => ({
    approver: await approverOf(db, request.tenantId, auth.userId, platformAdmin),
    standIns: await standInsOf(db, request.tenantId, auth.userId),
  }));
  const { approver, verdict } = decidingAs(request, own, standIns, action, comment);
  if (!verdict.allowed) {
    await auditRefusal(deps, req, res, request, action, { by: 'api', ...verdict });
    const kind = REFUSAL_PROBLEMS[verdict.code];
    throw new ProblemError(
      kind,
      verdict.reason,
      kind === 'validation' ? { errors: [{ path: 'comment', message: verdict.reason }] } : {},
    );
  }

  const requestId = String(res.locals.requestId);
  const handle = deps.temporal.client.workflow.getHandle(request.workflowId);
  const send = async () =>
    handle.executeUpdate(action === 'approve' ? approveRequestUpdate : rejectRequestUpdate, {
      args: [
        {
          requestId: request.id,
          assertion: await deps.approvalSigner.sign({
            wf: request.workflowId,
            req: request.id,
            act: action,
            sub: approver.userId,
            platformAdmin: approver.platformAdmin,
            tenantRole: approver.tenantRole,
            groups: approver.groups,
            rid: requestId,
            // Decided in place of an absent approver (recorded "on behalf of").
            ...(approver.onBehalfOf ? { obo: approver.onBehalfOf } : {}),
          }),
          ...(comment ? { comment } : {}),
        },
      ],
    });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        // A key this workflow has not read yet (this process started or rotated since the
        // request opened): ask it to re-read the published keys, then try again.
        const unknownKey =
          error instanceof WorkflowUpdateFailedError && /unknown key/.test(error.cause?.message ?? '') && attempt < 10;
        if (!unknownKey) throw error;
        if (attempt === 0) await handle.signal(refreshApprovalKeysSignal);
        await new Promise((resolve) => setTimeout(resolve, 200 + attempt * 100));
      }
    }
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const reason = error.cause?.message ?? error.message;
      await auditRefusal(deps, req, res, request, action, { by: 'workflow', code: 'refused', reason });
      throw new ProblemError('conflict', `The decision was refused: ${reason}`);
    }
    if (error instanceof WorkflowNotFoundError)
      throw new ProblemError('conflict', 'The request is no longer waiting (its workflow has ended).');
    throw error;
  }
}
