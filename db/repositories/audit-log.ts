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

/**
 * Writes several entries in one statement, in the caller's transaction. The chain trigger runs
 * per row and sees the rows this statement inserted before it (a row-level BEFORE trigger sees
 * the earlier rows of its own command), so the entries chain in the order given.
 */
export async function appendAuditEntries(db: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, request_id, ip, before, after)
     SELECT tenant_id, actor_type, actor_id, action, target_type, target_id, request_id, ip::inet, before, after
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::jsonb[], $10::jsonb[]) WITH ORDINALITY
       AS entry (tenant_id, actor_type, actor_id, action, target_type, target_id, request_id, ip, before, after, n)
     ORDER BY n`,
    [
      entries.map((entry) => entry.tenantId),
      entries.map((entry) => entry.actor.type),
      entries.map((entry) => entry.actor.id),
      entries.map((entry) => entry.action),
      entries.map((entry) => entry.targetType),
      entries.map((entry) => entry.targetId),
      entries.map((entry) => entry.actor.requestId),
      entries.map((entry) => entry.actor.ip),
      entries.map((entry) => (entry.before ? JSON.stringify(entry.before) : null)),
      entries.map((entry) => (entry.after ? JSON.stringify(entry.after) : null)),
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

export interface AuditLogFilter {
  tenantId: string;
  actorId?: string | undefined;
  /** An action, or a prefix ending in `.` (`member.` matches every member action). */
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface AuditLogRow {
  id: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  /** The acting user's display name or the acting API key's name, read when the entry is listed. */
  actor_name: string | null;
  /** The acting user's email address. */
  actor_email: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  request_id: string | null;
  ip: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A uuid in text: the only actor ids that are cast to look up a user or an API key. */
const UUID_TEXT = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;

/**
 * One page of a tenant's entries, newest first, strictly older than `beforeId` when given
 * (the cursor): ids only grow, so paging is stable while new entries arrive. Each entry
 * comes with its actor's current name (and a user's email): users are platform rows the
 * runtime role reads, API keys are the tenant's own rows (row-level security keeps the
 * lookup in the caller's tenant scope). The CASE guards the cast, so an actor id that is
 * no uuid finds nothing instead of failing the query.
 */
export function listAuditEntries(
  db: EntityManager,
  filter: AuditLogFilter,
  page: { beforeId?: string | undefined; limit: number },
): Promise<AuditLogRow[]> {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [filter.tenantId];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.actorId) add('actor_id = ?', filter.actorId);
  if (filter.action?.endsWith('.')) add('starts_with(action, ?)', filter.action);
  else if (filter.action) add('action = ?', filter.action);
  if (filter.targetType) add('target_type = ?', filter.targetType);
  if (filter.targetId) add('target_id = ?', filter.targetId);
  if (filter.from) add('occurred_at >= ?', filter.from);
  if (filter.to) add('occurred_at < ?', filter.to);
  if (page.beforeId) add('id < ?', page.beforeId);
  params.push(page.limit);
  // Ordered by the table's bigint id: the output column "id" is text, and text order is wrong.
  return db.query<AuditLogRow[]>(
    `SELECT entry.id::text, entry.occurred_at, entry.actor_type, entry.actor_id,
            coalesce(actor_user.display_name, actor_key.name) AS actor_name, actor_user.email AS actor_email,
            entry.action, entry.target_type, entry.target_id, entry.request_id, host(entry.ip) AS ip,
            entry.before, entry.after
     FROM (SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY audit_log.id DESC LIMIT $${params.length}) AS entry
     LEFT JOIN users AS actor_user ON entry.actor_type = 'user'
       AND actor_user.id = CASE WHEN entry.actor_id ~ ${UUID_TEXT} THEN entry.actor_id::uuid END
     LEFT JOIN api_keys AS actor_key ON entry.actor_type = 'api_key'
       AND actor_key.id = CASE WHEN entry.actor_id ~ ${UUID_TEXT} THEN entry.actor_id::uuid END
     ORDER BY entry.id DESC`,
    params,
  );
}
