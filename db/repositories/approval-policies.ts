// A tenant's approval policies (one per environment, '' for its default) and named approval
// groups (db/migrations/1764200000000-CreateApprovals.ts), and the stored requests a
// simulation replays. Callers pass a transaction in the tenant's scope (row-level security).
import type { EntityManager } from 'typeorm';
import type { ApprovalPolicy, RequestAttributes } from '../../workflows/approvals/policy.ts';
import { PLATFORM_DEFAULT_POLICY } from '../../workflows/approvals/policy.ts';
import type { ApprovalRequestStatus } from './approvals.ts';

export interface ApprovalPolicyRow {
  environment: string;
  policy: ApprovalPolicy;
  updatedBy: string | null;
  updatedAt: Date;
}

interface RawPolicy {
  environment: string;
  policy: ApprovalPolicy;
  updated_by_email: string | null;
  updated_at: Date;
}

const SELECT_POLICIES = `
  SELECT p.environment, p.policy, u.email AS updated_by_email, p.updated_at
    FROM approval_policies p LEFT JOIN users u ON u.id = p.updated_by`;

const toPolicy = (raw: RawPolicy): ApprovalPolicyRow => ({
  environment: raw.environment,
  policy: raw.policy,
  updatedBy: raw.updated_by_email,
  updatedAt: raw.updated_at,
});

export async function listApprovalPolicies(db: EntityManager, tenantId: string): Promise<ApprovalPolicyRow[]> {
  const rows = await db.query<RawPolicy[]>(`${SELECT_POLICIES} WHERE p.tenant_id = $1 ORDER BY p.environment`, [
    tenantId,
  ]);
  return rows.map(toPolicy);
}

export async function findApprovalPolicy(
  db: EntityManager,
  tenantId: string,
  environment: string,
  options: { lock?: boolean } = {},
): Promise<ApprovalPolicyRow | null> {
  if (options.lock)
    await db.query(`SELECT 1 FROM approval_policies WHERE tenant_id = $1 AND environment = $2 FOR UPDATE`, [
      tenantId,
      environment,
    ]);
  const rows = await db.query<RawPolicy[]>(`${SELECT_POLICIES} WHERE p.tenant_id = $1 AND p.environment = $2`, [
    tenantId,
    environment,
  ]);
  return rows[0] ? toPolicy(rows[0]) : null;
}

export async function upsertApprovalPolicy(
  db: EntityManager,
  row: { tenantId: string; environment: string; policy: ApprovalPolicy; updatedBy: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO approval_policies (tenant_id, environment, policy, updated_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, environment) DO UPDATE SET policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by,
       updated_at = now()`,
    [row.tenantId, row.environment, JSON.stringify(row.policy), row.updatedBy],
  );
}

export async function deleteApprovalPolicy(db: EntityManager, tenantId: string, environment: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH gone AS (DELETE FROM approval_policies WHERE tenant_id = $1 AND environment = $2 RETURNING 1) SELECT * FROM gone`,
    [tenantId, environment],
  );
  return rows.length > 0;
}

export type PolicySource = 'environment' | 'tenant-default' | 'platform-default';

/**
 * The policy that applies to an environment: its own, else the tenant's default (''), else
 * Atrium's (PLATFORM_DEFAULT_POLICY). The starters of workflows that wait for approval read it.
 */
export async function effectiveApprovalPolicy(
  db: EntityManager,
  tenantId: string,
  environment: string,
): Promise<{ source: PolicySource; row: ApprovalPolicyRow | null; policy: ApprovalPolicy }> {
  const own = environment === '' ? null : await findApprovalPolicy(db, tenantId, environment);
  if (own) return { source: 'environment', row: own, policy: own.policy };
  const fallback = await findApprovalPolicy(db, tenantId, '');
  if (fallback) return { source: 'tenant-default', row: fallback, policy: fallback.policy };
  return { source: 'platform-default', row: null, policy: PLATFORM_DEFAULT_POLICY };
}

export interface SimulationRequestRow {
  id: string;
  subject: { kind: string; id: string; label: string };
  requesterId: string | null;
  requesterEmail: string | null;
  attributes: RequestAttributes;
  status: ApprovalRequestStatus;
  createdAt: Date;
  decisions: Array<{
    userId: string;
    decision: 'approve' | 'reject';
    comment: string | null;
    at: string;
    onBehalfOf: string | null;
  }>;
}

/**
 * The tenant's requests an environment's policy governs, created since `since` or still
 * pending, oldest first: those whose `environment` attribute names it, or (for the tenant's
 * default, '') those naming no environment or one without a policy of its own. Requests about
 * the tenant itself (its approval by Atrium) follow Atrium's policy, not the tenant's: left out.
 */
export async function listRequestsForSimulation(
  db: EntityManager,
  tenantId: string,
  environment: string,
  since: Date,
): Promise<SimulationRequestRow[]> {
  const scope =
    environment === ''
      ? `(r.attributes->>'environment' IS NULL OR NOT EXISTS (SELECT 1 FROM approval_policies p
           WHERE p.tenant_id = r.tenant_id AND p.environment = r.attributes->>'environment'))`
      : `r.attributes->>'environment' = $3`;
  const rows = await db.query<
    Array<{
      id: string;
      subject_kind: string;
      subject_id: string;
      subject_label: string;
      requester_id: string | null;
      requester_email: string | null;
      attributes: RequestAttributes;
      status: ApprovalRequestStatus;
      created_at: Date;
      decisions: SimulationRequestRow['decisions'];
    }>
  >(
    `SELECT r.id, r.subject_kind, r.subject_id, r.subject_label, r.requester_id, u.email AS requester_email,
            r.attributes, r.status, r.created_at,
            COALESCE((SELECT json_agg(json_build_object('userId', d.user_id, 'decision', d.decision,
                        'comment', d.comment, 'at', d.created_at, 'onBehalfOf', d.on_behalf_of) ORDER BY d.id)
                      FROM approval_decisions d WHERE d.request_id = r.id), '[]') AS decisions
       FROM approval_requests r LEFT JOIN users u ON u.id = r.requester_id
      WHERE r.tenant_id = $1 AND r.subject_kind <> 'tenant' AND (r.created_at >= $2 OR r.status = 'pending')
        AND ${scope}
      ORDER BY r.created_at, r.id`,
    environment === '' ? [tenantId, since] : [tenantId, since, environment],
  );
  return rows.map((raw) => ({
    id: raw.id,
    subject: { kind: raw.subject_kind, id: raw.subject_id, label: raw.subject_label },
    requesterId: raw.requester_id,
    requesterEmail: raw.requester_email,
    attributes: raw.attributes,
    status: raw.status,
    createdAt: raw.created_at,
    decisions: raw.decisions,
  }));
}

export interface ApprovalGroupRow {
  name: string;
  members: Array<{ userId: string; email: string; displayName: string }>;
}

export async function listApprovalGroups(db: EntityManager, tenantId: string): Promise<ApprovalGroupRow[]> {
  const rows = await db.query<Array<{ group_name: string; user_id: string; email: string; display_name: string }>>(
    `SELECT g.group_name, g.user_id, u.email, u.display_name
       FROM approval_group_members g JOIN users u ON u.id = g.user_id
      WHERE g.tenant_id = $1 ORDER BY g.group_name, u.email`,
    [tenantId],
  );
  const groups = new Map<string, ApprovalGroupRow>();
  for (const row of rows) {
    const group = groups.get(row.group_name) ?? { name: row.group_name, members: [] };
    group.members.push({ userId: row.user_id, email: row.email, displayName: row.display_name });
    groups.set(row.group_name, group);
  }
  return [...groups.values()];
}

/** Adds a member (create-if-absent); false when they were in it already. */
export async function addApprovalGroupMember(
  db: EntityManager,
  tenantId: string,
  group: string,
  userId: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `INSERT INTO approval_group_members (tenant_id, group_name, user_id) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING user_id`,
    [tenantId, group, userId],
  );
  return rows.length > 0;
}

export async function removeApprovalGroupMember(
  db: EntityManager,
  tenantId: string,
  group: string,
  userId: string,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `WITH gone AS (DELETE FROM approval_group_members WHERE tenant_id = $1 AND group_name = $2 AND user_id = $3
       RETURNING 1) SELECT * FROM gone`,
    [tenantId, group, userId],
  );
  return rows.length > 0;
}
