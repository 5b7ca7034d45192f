// Appends to the audit log. The database chains each entry to the previous one of its
// tenant (a trigger computes the hashes) and refuses any change afterwards.
import type { EntityManager } from 'typeorm';

export type AuditActorType = 'anonymous' | 'user' | 'api_key' | 'system';

/** Who caused a change, and through which request. Travels in workflow inputs. */
export interface AuditActor {
  type: AuditActorType;
  id: string | null;
  requestId: string | null;
  ip: string | null;
}

export interface AuditEntry {
  tenantId: string | null;
  actor: AuditActor;
  /** `<resource>.<verb>`, e.g. `tenant.activated`. */
  action: string;
  targetType: string;
  targetId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Writes one entry in the caller's transaction, so it commits or rolls back with the change. */
export async function appendAuditEntry(db: EntityManager, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, request_id, ip, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      entry.tenantId,
      entry.actor.type,
      entry.actor.id,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.actor.requestId,
      entry.actor.ip,
      entry.before ? JSON.stringify(entry.before) : null,
      entry.after ? JSON.stringify(entry.after) : null,
    ],
  );
}

export interface AuditChainProblem {
  id: string;
  tenantId: string | null;
  problem: string;
}

/** Every entry whose hash or link does not check out (none when the log is intact). */
export async function verifyAuditChain(db: EntityManager): Promise<AuditChainProblem[]> {
  const rows = await db.query<Array<{ id: string; tenant_id: string | null; problem: string }>>(
    `SELECT id, tenant_id, problem FROM audit_log_verify()`,
  );
  return rows.map((row) => ({ id: String(row.id), tenantId: row.tenant_id, problem: row.problem }));
}
