// The events of an approval request (contracts/events.ts): `approval.requested` when it is
// stored, `approval.decided` when it is closed (approved, rejected, expired, or rejected because
// its tenant was offboarded). Emitted in the transaction that stores or closes it, only when
// that transaction changed it. A tenant's own provisioning approval emits nothing: the tenant
// is not active yet, so it can have no endpoint (provisioning emits no event at all).
import type { ApprovalRequestRow } from '../../db/repositories/approvals.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';

/** Whether requests about this subject emit events (every subject but a tenant being provisioned). */
export function approvalEmitsEvents(subject: { kind: string }): boolean {
  return subject.kind !== 'tenant';
}

const refOf = (request: Pick<ApprovalRequestRow, 'id' | 'subject' | 'workflowId'>) => ({
  requestId: request.id,
  subject: { kind: request.subject.kind, id: request.subject.id, label: request.subject.label },
  operationId: request.workflowId,
});

export async function emitApprovalRequested(
  emit: TenantStepTransaction['emit'],
  request: Pick<ApprovalRequestRow, 'id' | 'subject' | 'workflowId' | 'requesterId' | 'rule' | 'expiresAt'>,
): Promise<void> {
  if (!approvalEmitsEvents(request.subject)) return;
  await emit('approval.requested', {
    ...refOf(request),
    requesterId: request.requesterId,
    rule: request.rule,
    expiresAt: new Date(request.expiresAt).toISOString(),
  });
}

export async function emitApprovalDecided(
  emit: TenantStepTransaction['emit'],
  request: Pick<ApprovalRequestRow, 'id' | 'subject' | 'workflowId' | 'status' | 'reason' | 'decidedBy'>,
): Promise<void> {
  if (!approvalEmitsEvents(request.subject) || request.status === 'pending') return;
  await emit('approval.decided', {
    ...refOf(request),
    status: request.status,
    reason: request.reason,
    decidedBy: request.decidedBy,
  });
}
