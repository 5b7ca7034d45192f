// What the API checks before a tenant route, read in one statement by the SECURITY DEFINER
// function atrium_tenant_access (migration 1763990000000): the tenant, the caller's
// membership, the tenant's SSO requirement and its open suspension. Never cached.
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../contracts/members.ts';
import type { ApprovalStatus, TenantPlan, TenantStatus } from '../../contracts/tenants.ts';

export interface TenantAccessFacts {
  tenant: {
    id: string;
    slug: string;
    name: string;
    plan: TenantPlan;
    status: TenantStatus;
    failureReason: string | null;
    approvalStatus: ApprovalStatus | null;
    createdAt: Date;
    updatedAt: Date;
  };
  /** The user's role in the tenant; null when not a member. */
  memberRole: Role | null;
  /** True when the tenant has an enabled SSO connection that members must sign in through. */
  ssoRequired: boolean;
  /** The open suspension's reason, when the tenant is suspended. */
  suspensionReason: string | null;
}

interface Row {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  status: TenantStatus;
  failure_reason: string | null;
  approval_status: ApprovalStatus | null;
  created_at: Date;
  updated_at: Date;
  member_role: Role | null;
  sso_enabled: boolean | null;
  sso_required: boolean | null;
  suspension_reason: string | null;
}

/** The access facts of `slug` for `userId` (null for an API key: it is nobody's membership). */
export async function findTenantAccess(
  db: DataSource,
  slug: string,
  userId: string | null,
): Promise<TenantAccessFacts | null> {
  const rows = await db.query<Row[]>(`SELECT * FROM atrium_tenant_access($1, $2)`, [slug, userId]);
  return rows[0] ? toFacts(rows[0]) : null;
}

/**
 * The same facts, read inside the caller's transaction, which the same statement scopes to the
 * tenant found (`atrium.tenant_id`, local to the transaction): a read then needs no statement of
 * its own to set the scope. The caller must end the transaction without reading anything when
 * the facts refuse access (throwing rolls it back).
 */
export async function findTenantAccessAndScope(
  db: EntityManager,
  slug: string,
  userId: string | null,
): Promise<TenantAccessFacts | null> {
  const rows = await db.query<Row[]>(
    `SELECT a.*, set_config('atrium.tenant_id', a.id::text, true) AS scoped FROM atrium_tenant_access($1, $2) a`,
    [slug, userId],
  );
  return rows[0] ? toFacts(rows[0]) : null;
}

function toFacts(row: Row): TenantAccessFacts {
  return {
    tenant: {
      id: row.id,
      slug: row.slug,
      name: row.name,
      plan: row.plan,
      status: row.status,
      failureReason: row.failure_reason,
      approvalStatus: row.approval_status,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    memberRole: row.member_role,
    ssoRequired: row.sso_enabled === true && row.sso_required === true,
    suspensionReason: row.suspension_reason,
  };
}
