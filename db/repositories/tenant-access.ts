// What the API checks before a tenant route, read in one statement by the SECURITY DEFINER
// function atrium_tenant_access (migration 1763990000000): the tenant, the caller's
// membership, the tenant's SSO requirement and its open suspension; for a presented API key,
// atrium_tenant_access_by_key (migration 1765540000000) reads the tenant and the key's
// credentials beside it. Never cached.
import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../../contracts/members.ts';
import type { ApprovalStatus, TenantPlan, TenantStatus } from '../../contracts/tenants.ts';
import { SLUG_PATTERN } from '../../contracts/tenants.ts';
import type { ApiKeyCredentials } from './api-keys.ts';

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

/**
 * Who asks: a user (null for nobody's membership: an API key already looked up), or an API key
 * presented on this request and not looked up yet, whose credentials the same statement reads
 * (the SECURITY DEFINER function atrium_tenant_access_by_key), so a key costs no trip of its own.
 */
export type AccessCaller = { userId: string | null } | { apiKeyPrefix: string };

export interface TenantAccessAnswer {
  /** Null: no tenant has this slug. */
  facts: TenantAccessFacts | null;
  /** The presented key's stored credentials (null: no such key, or the caller is a user). */
  apiKey: ApiKeyCredentials | null;
}

/** The key's credentials beside the tenant's facts (either may be missing). */
interface KeyColumns {
  key_id: string | null;
  key_tenant_id: string;
  key_role: Role;
  key_secret_hash: Buffer;
  key_expires_at: Date | null;
  key_revoked_at: Date | null;
  key_used_recently: boolean;
}

/** The access facts of `slug` for the caller, in one statement. */
export async function findTenantAccess(
  db: DataSource,
  slug: string,
  caller: AccessCaller,
): Promise<TenantAccessAnswer> {
  if ('apiKeyPrefix' in caller) {
    const rows = await db.query<Array<Row & KeyColumns>>(`SELECT * FROM atrium_tenant_access_by_key($1, $2)`, [
      slug,
      caller.apiKeyPrefix,
    ]);
    return toAnswer(rows[0]);
  }
  const rows = await db.query<Row[]>(`SELECT * FROM atrium_tenant_access($1, $2)`, [slug, caller.userId]);
  return toAnswer(rows[0]);
}

/**
 * Runs `fn` in a transaction that the access check scopes to the tenant it finds
 * (`atrium.tenant_id`, local to the transaction), so a read needs no statement of its own to set
 * the scope. `fn` gets the answer and must throw, reading nothing, when it refuses access; a
 * throw rolls the transaction back, a return commits it.
 *
 * `BEGIN` and the check go to PostgreSQL as one simple-protocol message, which cannot carry
 * parameters, so the slug, the user id and the key's prefix are written in as escaped literals; one
 * message fewer per read because each socket write costs this API a large share of a request's
 * CPU (issue 12). A slug that no tenant could have (SLUG_PATTERN) is answered as unknown without
 * asking, and a user id must be a UUID.
 */
export async function inTenantAccessTransaction<T>(
  dataSource: DataSource,
  slug: string,
  caller: AccessCaller,
  fn: (answer: TenantAccessAnswer, db: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    try {
      const results = (await client.query(`BEGIN; ${accessStatement(client, slug, caller)}`)) as unknown as [
        QueryResult,
        QueryResult<Row & Partial<KeyColumns>>,
      ];
      const value = await fn(toAnswer(results[1].rows[0]), runner.manager);
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

/** The scoping access check with its arguments written in (see inTenantAccessTransaction). */
function accessStatement(client: PoolClient, slug: string, caller: AccessCaller): string {
  const scope = `set_config('atrium.tenant_id', a.id::text, true) AS scoped`;
  // A slug no tenant can have finds nothing; the statement still reads the key, if any.
  const slugLiteral = SLUG_PATTERN.test(slug) ? client.escapeLiteral(slug) : 'NULL';
  if ('apiKeyPrefix' in caller) {
    const prefix = client.escapeLiteral(caller.apiKeyPrefix);
    return `SELECT a.*, ${scope} FROM atrium_tenant_access_by_key(${slugLiteral}::text, ${prefix}::text) a`;
  }
  const { userId } = caller;
  if (userId !== null && !UUID.test(userId)) throw new Error('A user id to check access for is not a UUID.');
  const user = userId === null ? 'NULL' : client.escapeLiteral(userId);
  return `SELECT a.*, ${scope} FROM atrium_tenant_access(${slugLiteral}::text, ${user}::uuid) a`;
}

function toAnswer(row: (Row & Partial<KeyColumns>) | undefined): TenantAccessAnswer {
  return {
    facts: row && row.id !== null ? toFacts(row) : null,
    apiKey:
      row?.key_id != null
        ? {
            id: row.key_id,
            tenant_id: row.key_tenant_id!,
            role: row.key_role!,
            secret_hash: row.key_secret_hash!,
            expires_at: row.key_expires_at ?? null,
            revoked_at: row.key_revoked_at ?? null,
            used_recently: row.key_used_recently!,
          }
        : null,
  };
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
