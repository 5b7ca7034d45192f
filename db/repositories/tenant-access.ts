// What the API checks before a tenant route, read in one statement by the SECURITY DEFINER
// function atrium_tenant_access (migration 1763990000000): the tenant, the caller's
// membership, the tenant's SSO requirement and its open suspension. Never cached.
import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../contracts/members.ts';
import type { ApprovalStatus, TenantPlan, TenantStatus } from '../../contracts/tenants.ts';
import { SLUG_PATTERN } from '../../contracts/tenants.ts';

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
 * Runs `fn` in a transaction that the access check scopes to the tenant it finds
 * (`atrium.tenant_id`, local to the transaction), so a read needs no statement of its own to set
 * the scope. `fn` gets the facts (null: no such tenant) and must throw, reading nothing, when they
 * refuse access; a throw rolls the transaction back, a return commits it.
 *
 * `BEGIN` and the check go to PostgreSQL as one simple-protocol message, which cannot carry
 * parameters, so the slug and the user id are written in as literals; one message fewer per read
 * because each socket write costs this API a large share of a request's CPU (issue 12). A slug
 * that no tenant could have (SLUG_PATTERN) is answered as unknown without
 * asking, and only checked ids are written in.
 */
export async function inTenantAccessTransaction<T>(
  dataSource: DataSource,
  slug: string,
  userId: string | null,
  fn: (facts: TenantAccessFacts | null, db: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    try {
      let row: Row | undefined;
      if (SLUG_PATTERN.test(slug)) {
        if (userId !== null && !UUID.test(userId)) throw new Error('A user id to check access for is not a UUID.');
        const user = userId === null ? 'NULL' : client.escapeLiteral(userId);
        const results = (await client.query(
          `BEGIN; SELECT a.*, set_config('atrium.tenant_id', a.id::text, true) AS scoped
           FROM atrium_tenant_access(${client.escapeLiteral(slug)}::text, ${user}::uuid) a`,
        )) as unknown as [QueryResult, QueryResult<Row>];
        row = results[1].rows[0];
      } else await client.query('BEGIN');
      const value = await fn(row ? toFacts(row) : null, runner.manager);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      // A failed statement leaves the transaction aborted; a broken connection fails this too.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
