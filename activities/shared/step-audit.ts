// The audit entry a tenant lifecycle step writes for a change it made, in the caller's
// transaction. Who asked travels in the workflow input; histories recorded before actors
// were passed in have none, and then the change was the system's.
import type { EntityManager } from 'typeorm';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, requestId: null, ip: null };

export function auditStep(
  db: EntityManager,
  input: { tenantId: string; actor?: AuditActor | undefined },
  action: string,
  targetType: string,
  targetId: string | null,
  after?: Record<string, unknown>,
) {
  return appendAuditEntry(db, {
    tenantId: input.tenantId,
    actor: input.actor ?? SYSTEM_ACTOR,
    action,
    targetType,
    targetId,
    ...(after ? { after } : {}),
  });
}
