// The stored life of an approval request: opened, decided on, escalated, closed. Each
// activity changes the row only from the state it expects, with its audit entry (and, opened
// or closed, its event: ./events.ts) in the same transaction, so a retry finds the change made
// and does nothing (and audits and emits nothing) again.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { findApprovalRequest, insertApprovalRequest } from '../../db/repositories/approvals.ts';
import type { OpenApprovalInput } from '../../workflows/approvals/contract.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { emitApprovalDecided, emitApprovalRequested } from './events.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import type { NotifyDeps } from './notifications.ts';
import { notifyApproval } from './notifications.ts';

const SYSTEM: AuditActor = { type: 'system', id: null, requestId: null, ip: null };

export function createApprovalRequestActivities(deps: KernelDeps & NotifyDeps) {
  const requestMissing = (id: string) =>
    Object.assign(new Error(`Approval request ${id} is not stored.`), {
      name: 'ApprovalRequestMissing',
      retryable: false,
    });

  return {
    /**
     * Stores the request and mails the first stage's approvers. Retry-safe: insert-if-absent
     * (audited only when inserted); mails once per (request, event, stage).
     */
    async openApprovalRequest(input: OpenApprovalInput & { expiresAt: string }): Promise<void> {
      const actor: AuditActor = input.requesterId
        ? { type: 'user', id: input.requesterId, requestId: null, ip: null }
        : SYSTEM;
      await lockedTenantStep(deps, { tenantId: input.tenantId, actor }, async (tx) => {
        const inserted = await insertApprovalRequest(tx.db, { ...input, id: input.requestId });
        if (inserted)
          await tx.audit('approval.requested', 'approval_request', input.requestId, {
            subject: input.subject,
            rule: input.rule,
            attributes: input.attributes,
            expiresAt: input.expiresAt,
          });
        const request = await findApprovalRequest(tx.db, input.requestId);
        if (!request) throw requestMissing(input.requestId);
        if (inserted) await emitApprovalRequested(tx.emit, request);
        if (request.status === 'pending' && request.stage === 0) await notifyApproval(deps, tx, request, 'opened');
      });
    },

    /**
     * Records one approver's decision (the workflow has verified their assertion and the
     * policy). Retry-safe: one row per (request, approver), audited when written.
     */
    async recordApprovalDecision(input: {
      requestId: string;
      tenantId: string;
      userId: string;
      decision: 'approve' | 'reject';
      comment: string | null;
      stage: number;
      apiRequestId: string | null;
      /** The absent approver a delegate decided for (absent: in person). */
      onBehalfOf?: string | null;
    }): Promise<void> {
      const actor: AuditActor = { type: 'user', id: input.userId, requestId: input.apiRequestId, ip: null };
      await lockedTenantStep(deps, { tenantId: input.tenantId, actor }, async (tx) => {
        const inserted = await tx.db.query<unknown[]>(
          `INSERT INTO approval_decisions (tenant_id, request_id, user_id, decision, comment, stage, api_request_id,
                                           on_behalf_of)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id, user_id) DO NOTHING RETURNING id`,
          [
            input.tenantId,
            input.requestId,
            input.userId,
            input.decision,
            input.comment,
            input.stage,
            input.apiRequestId,
            input.onBehalfOf ?? null,
          ],
        );
        if (inserted.length > 0)
          await tx.audit(
            input.decision === 'approve' ? 'approval.approved' : 'approval.rejected',
            'approval_request',
            input.requestId,
            {
              stage: input.stage,
              comment: input.comment,
              ...(input.onBehalfOf ? { onBehalfOf: input.onBehalfOf } : {}),
            },
          );
      });
    },

    /**
     * Moves an expired stage's request on to the next stage and mails its approvers.
     * Retry-safe: only from the stage before; mails once per stage.
     */
    async escalateApprovalRequest(input: {
      requestId: string;
      tenantId: string;
      toStage: number;
      expiresAt: string;
    }): Promise<void> {
      await lockedTenantStep(deps, { tenantId: input.tenantId, actor: SYSTEM }, async (tx) => {
        const moved = await tx.db.query<unknown[]>(
          // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE ... RETURNING.
          `WITH moved AS (UPDATE approval_requests SET stage = $2, expires_at = $3
             WHERE id = $1 AND status = 'pending' AND stage = $2 - 1 RETURNING id) SELECT id FROM moved`,
          [input.requestId, input.toStage, input.expiresAt],
        );
        if (moved.length > 0)
          await tx.auditChange(
            'approval.escalated',
            'approval_request',
            input.requestId,
            { stage: input.toStage - 1 },
            {
              stage: input.toStage,
              expiresAt: input.expiresAt,
            },
          );
        const request = await findApprovalRequest(tx.db, input.requestId);
        if (!request) throw requestMissing(input.requestId);
        if (request.status === 'pending' && request.stage === input.toStage)
          await notifyApproval(deps, tx, request, 'escalated');
      });
    },

    /**
     * Closes the request with its outcome and mails the requester. Retry-safe: only from
     * pending; mails once.
     */
    async closeApprovalRequest(input: {
      requestId: string;
      tenantId: string;
      status: 'approved' | 'rejected';
      reason: string | null;
      /** Rejected because nobody decided in time (stored as `expired`). */
      expired: boolean;
      decidedBy: string | null;
    }): Promise<void> {
      const actor: AuditActor = input.decidedBy
        ? { type: 'user', id: input.decidedBy, requestId: null, ip: null }
        : SYSTEM;
      const status = input.expired ? 'expired' : input.status;
      await lockedTenantStep(deps, { tenantId: input.tenantId, actor }, async (tx) => {
        const closed = await tx.db.query<unknown[]>(
          `WITH closed AS (UPDATE approval_requests SET status = $2, reason = $3, decided_by = $4, closed_at = now()
             WHERE id = $1 AND status = 'pending' RETURNING id) SELECT id FROM closed`,
          [input.requestId, status, input.reason, input.decidedBy],
        );
        if (closed.length > 0)
          await tx.auditChange(
            'approval.closed',
            'approval_request',
            input.requestId,
            { status: 'pending' },
            {
              status,
              reason: input.reason,
            },
          );
        const request = await findApprovalRequest(tx.db, input.requestId);
        if (!request) throw requestMissing(input.requestId);
        if (closed.length > 0) await emitApprovalDecided(tx.emit, request);
        if (request.status !== 'pending') await notifyApproval(deps, tx, request, 'decided');
      });
    },
  };
}
