// Approval requests, their decisions and notifications, the named groups and the signing
// keys (db/migrations/1764200000000-CreateApprovals.ts). Callers pass a transaction in the
// right scope: the tenant's (row-level security) or the platform's.
import type { EntityManager } from 'typeorm';
import type {
  ApprovalPolicy,
  ApproverRequirement,
  RecordedDecision,
  RequestAttributes,
} from '../../workflows/approvals/policy.ts';

export type ApprovalRequestStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRequestRow {
  id: string;
  tenantId: string;
  tenantSlug: string;
  workflowId: string;
  subject: { kind: string; id: string; label: string };
  requesterId: string | null;
  attributes: RequestAttributes;
  policy: ApprovalPolicy;
  rule: string;
  stage: number;
  status: ApprovalRequestStatus;
  reason: string | null;
  decidedBy: string | null;
  expiresAt: Date;
  createdAt: Date;
  closedAt: Date | null;
  decisions: Array<RecordedDecision & { comment: string | null; createdAt: Date; onBehalfOf: string | null }>;
}

interface RawRequest {
  id: string;
  tenant_id: string;
  slug: string;
  workflow_id: string;
  subject_kind: string;
  subject_id: string;
  subject_label: string;
  requester_id: string | null;
  attributes: RequestAttributes;
  policy: ApprovalPolicy;
  rule: string;
  stage: number;
  status: ApprovalRequestStatus;
  reason: string | null;
  decided_by: string | null;
  expires_at: Date;
  created_at: Date;
  closed_at: Date | null;
  decisions: Array<{
    userId: string;
    decision: 'approve' | 'reject';
    stage: number;
    comment: string | null;
    createdAt: string;
    onBehalfOf: string | null;
  }>;
}

const SELECT_REQUESTS = `
  SELECT r.*, t.slug,
         COALESCE((SELECT json_agg(json_build_object('userId', d.user_id, 'decision', d.decision, 'stage', d.stage,
                                                    'comment', d.comment, 'createdAt', d.created_at,
                                                    'onBehalfOf', d.on_behalf_of) ORDER BY d.id)
                   FROM approval_decisions d WHERE d.request_id = r.id), '[]') AS decisions
    FROM approval_requests r JOIN tenants t ON t.id = r.tenant_id`;

function toRow(raw: RawRequest): ApprovalRequestRow {
  return {
    id: raw.id,
    tenantId: raw.tenant_id,
    tenantSlug: raw.slug,
    workflowId: raw.workflow_id,
    subject: { kind: raw.subject_kind, id: raw.subject_id, label: raw.subject_label },
    requesterId: raw.requester_id,
    attributes: raw.attributes,
    policy: raw.policy,
    rule: raw.rule,
    stage: raw.stage,
    status: raw.status,
    reason: raw.reason,
    decidedBy: raw.decided_by,
    expiresAt: raw.expires_at,
    createdAt: raw.created_at,
    closedAt: raw.closed_at,
    decisions: raw.decisions.map((d) => ({ ...d, createdAt: new Date(d.createdAt) })),
  };
}

export async function findApprovalRequest(db: EntityManager, id: string): Promise<ApprovalRequestRow | null> {
  const rows = await db.query<RawRequest[]>(`${SELECT_REQUESTS} WHERE r.id = $1`, [id]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function findApprovalRequestByWorkflow(
  db: EntityManager,
  workflowId: string,
): Promise<ApprovalRequestRow | null> {
  const rows = await db.query<RawRequest[]>(
    `${SELECT_REQUESTS} WHERE r.workflow_id = $1 ORDER BY r.created_at DESC LIMIT 1`,
    [workflowId],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

export interface ApprovalRequestFilter {
  status?: ApprovalRequestStatus;
  subjectKind?: string;
  /** Only these tenants (the caller's); absent: every tenant the scope shows. */
  tenantIds?: string[];
  limit: number;
}

/** Requests, newest first, in the transaction's scope. */
export async function listApprovalRequests(
  db: EntityManager,
  filter: ApprovalRequestFilter,
): Promise<ApprovalRequestRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status) where.push(`r.status = ${param(filter.status)}`);
  if (filter.subjectKind) where.push(`r.subject_kind = ${param(filter.subjectKind)}`);
  if (filter.tenantIds) where.push(`r.tenant_id = ANY(${param(filter.tenantIds)}::uuid[])`);
  const rows = await db.query<RawRequest[]>(
    `${SELECT_REQUESTS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id LIMIT ${param(filter.limit)}`,
    params,
  );
  return rows.map(toRow);
}

export async function insertApprovalRequest(
  db: EntityManager,
  request: {
    id: string;
    tenantId: string;
    workflowId: string;
    subject: { kind: string; id: string; label: string };
    requesterId: string | null;
    attributes: RequestAttributes;
    policy: ApprovalPolicy;
    rule: string;
    expiresAt: string;
  },
): Promise<boolean> {
  const inserted = await db.query<Array<{ id: string }>>(
    `INSERT INTO approval_requests (id, tenant_id, workflow_id, subject_kind, subject_id, subject_label, requester_id,
                                    attributes, policy, rule, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      request.id,
      request.tenantId,
      request.workflowId,
      request.subject.kind,
      request.subject.id,
      request.subject.label,
      request.requesterId,
      JSON.stringify(request.attributes),
      JSON.stringify(request.policy),
      request.rule,
      request.expiresAt,
    ],
  );
  return inserted.length > 0;
}

/** The addresses of the people a requirement names in a tenant (the requester left out). */
export async function approverAddresses(
  db: EntityManager,
  tenantId: string,
  requirement: ApproverRequirement,
  requesterId: string | null,
): Promise<string[]> {
  let rows: Array<{ email: string }>;
  if (requirement.kind === 'group') {
    rows = await db.query(
      `SELECT u.email FROM approval_group_members g JOIN users u ON u.id = g.user_id
        WHERE g.tenant_id = $1 AND g.group_name = $2 AND u.id IS DISTINCT FROM $3 ORDER BY u.email`,
      [tenantId, requirement.group, requesterId],
    );
  } else if (requirement.role === 'platform-admin') {
    rows = await db.query(`SELECT email FROM users WHERE is_platform_admin AND id IS DISTINCT FROM $1 ORDER BY email`, [
      requesterId,
    ]);
  } else {
    const roles = ['owner', 'admin', 'developer', 'viewer'];
    const allowed = roles.slice(0, roles.indexOf(requirement.role) + 1);
    rows = await db.query(
      `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 AND m.role = ANY($2::text[]) AND u.id IS DISTINCT FROM $3 ORDER BY u.email`,
      [tenantId, allowed, requesterId],
    );
  }
  return rows.map((row) => row.email);
}

/** The named groups a user belongs to in a tenant. */
export async function approvalGroupsOf(db: EntityManager, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db.query<Array<{ group_name: string }>>(
    `SELECT group_name FROM approval_group_members WHERE tenant_id = $1 AND user_id = $2 ORDER BY group_name`,
    [tenantId, userId],
  );
  return rows.map((row) => row.group_name);
}

export interface SigningKeyRow {
  kid: string;
  publicKey: string;
  notAfter: Date | null;
}

/** The keys assertions may be verified with: not retired, or retired less than `graceMs` ago. */
export async function listApprovalSigningKeys(db: EntityManager, graceMs: number): Promise<SigningKeyRow[]> {
  const rows = await db.query<Array<{ kid: string; public_key: string; not_after: Date | null }>>(
    `SELECT kid, public_key, not_after FROM approval_signing_keys
      WHERE not_after IS NULL OR not_after > now() - make_interval(secs => $1::double precision / 1000)
      ORDER BY created_at, kid`,
    [graceMs],
  );
  return rows.map((row) => ({ kid: row.kid, publicKey: row.public_key, notAfter: row.not_after }));
}

export async function publishApprovalSigningKey(
  db: EntityManager,
  key: { kid: string; publicKey: string; notAfter: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO approval_signing_keys (kid, public_key, not_after) VALUES ($1, $2, $3)
     ON CONFLICT (kid) DO UPDATE SET not_after = GREATEST(approval_signing_keys.not_after, EXCLUDED.not_after)`,
    [key.kid, key.publicKey, key.notAfter],
  );
}

/**
 * The people `delegateId` stands in for now in a tenant: delegations in force (started, not
 * ended, not revoked), oldest first.
 */
export async function absenteesFor(
  db: EntityManager,
  tenantId: string,
  delegateId: string,
  now: Date,
): Promise<string[]> {
  const rows = await db.query<Array<{ user_id: string }>>(
    `SELECT DISTINCT ON (user_id) user_id FROM approval_delegations
      WHERE tenant_id = $1 AND delegate_id = $2 AND revoked_at IS NULL AND starts_at <= $3 AND ends_at > $3
      ORDER BY user_id, created_at`,
    [tenantId, delegateId, now],
  );
  return rows.map((row) => row.user_id);
}
