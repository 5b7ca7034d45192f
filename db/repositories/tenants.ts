// Every query on the tenants table. Writes are idempotent so that activities can retry them.
import type { DataSource, EntityManager } from 'typeorm';
import { TenantEntity } from '../entities/tenant.ts';
import type { TenantPlan, TenantStatus } from '../../contracts/tenants.ts';
import type { Tenant } from '../entities/tenant.ts';

export interface NewTenant {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  ownerEmail: string;
  /**
   * When the tenant was asked for: stored as created_at (and updated_at), so whoever accepted
   * the request can answer with the stored value before the row exists. Default: now().
   */
  createdAt?: Date;
}

type Db = DataSource | EntityManager;

/**
 * Inserts the tenant as `pending` unless a row with this id (or slug) exists already.
 * Returns the row stored under the slug (which may belong to another id if the slug is
 * taken) and whether this call inserted it.
 */
export async function insertTenantIfAbsent(
  db: Db,
  tenant: NewTenant,
): Promise<{ stored: Tenant | null; inserted: boolean }> {
  const result = await db
    .createQueryBuilder()
    .insert()
    .into(TenantEntity)
    .values({
      ...tenant,
      status: 'pending',
      ...(tenant.createdAt ? { createdAt: tenant.createdAt, updatedAt: tenant.createdAt } : {}),
    })
    .orIgnore()
    .returning(['id'])
    .execute();
  const inserted = Array.isArray(result.raw) && result.raw.length > 0;
  return { stored: await db.getRepository(TenantEntity).findOneBy({ slug: tenant.slug }), inserted };
}

export function findTenantById(db: Db, id: string): Promise<Tenant | null> {
  return db.getRepository(TenantEntity).findOneBy({ id });
}

export function findTenantBySlug(db: Db, slug: string): Promise<Tenant | null> {
  return db.getRepository(TenantEntity).findOneBy({ slug });
}

/**
 * Whose tenants a list shows. Each is read in a matching transaction scope (db/scope.ts):
 * - `platform`: every tenant (platform scope);
 * - `member`: the tenants the user belongs to, joined on memberships (platform scope, so
 *   the user's memberships in every tenant are visible; the join keeps only theirs);
 * - `scopedTenant`: the one tenant the transaction is scoped to (tenant scope), read from
 *   the scope itself, so the query cannot name another.
 */
export type TenantViewer = { kind: 'platform' } | { kind: 'member'; userId: string } | { kind: 'scopedTenant' };

/** Where a page starts: after this tenant, newest first (created_at in microseconds, then id). */
export interface TenantPosition {
  createdMicros: string;
  id: string;
}

export interface TenantPageRequest {
  status?: TenantStatus;
  /** The start of the slug or the name, case-insensitive. */
  prefix?: string;
  after?: TenantPosition;
  limit: number;
}

interface TenantListRow {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  status: TenantStatus;
  owner_email: string;
  schema_name: string | null;
  failure_reason: string | null;
  approval_status: Tenant['approvalStatus'];
  approval_reason: string | null;
  created_at: Date;
  updated_at: Date;
  created_micros: string;
}

/**
 * One page of the tenants `viewer` may see, newest first (keyset: created_at, then id, both
 * descending), with each row's position for the next page's `after`.
 */
export async function listTenantsPage(
  db: EntityManager,
  viewer: TenantViewer,
  page: TenantPageRequest,
): Promise<Array<{ tenant: Tenant; position: TenantPosition }>> {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  let join = '';
  if (viewer.kind === 'member')
    join = `JOIN memberships m ON m.tenant_id = t.id AND m.user_id = ${param(viewer.userId)}`;
  if (viewer.kind === 'scopedTenant') where.push(`t.id = nullif(current_setting('atrium.tenant_id', true), '')::uuid`);
  if (page.status) where.push(`t.status = ${param(page.status)}`);
  if (page.prefix) {
    const pattern = param(`${page.prefix.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`(t.slug LIKE ${pattern} OR lower(t.name) LIKE ${pattern})`);
  }
  if (page.after) {
    const micros = param(page.after.createdMicros);
    where.push(
      `(t.created_at, t.id) < (timestamptz 'epoch' + ${micros}::bigint * interval '1 microsecond', ${param(page.after.id)}::uuid)`,
    );
  }
  const rows = await db.query<TenantListRow[]>(
    `SELECT t.id, t.slug, t.name, t.plan, t.status, t.owner_email, t.schema_name, t.failure_reason,
            t.approval_status, t.approval_reason, t.created_at, t.updated_at,
            (extract(epoch FROM t.created_at) * 1000000)::bigint::text AS created_micros
     FROM tenants t ${join}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY t.created_at DESC, t.id DESC
     LIMIT ${param(page.limit)}`,
    params,
  );
  return rows.map((row) => ({
    tenant: {
      id: row.id,
      slug: row.slug,
      name: row.name,
      plan: row.plan,
      status: row.status,
      ownerEmail: row.owner_email,
      schemaName: row.schema_name,
      failureReason: row.failure_reason,
      approvalStatus: row.approval_status,
      approvalReason: row.approval_reason,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    position: { createdMicros: row.created_micros, id: row.id },
  }));
}

export async function recordTenantSchema(db: Db, id: string, schemaName: string | null): Promise<void> {
  await db.getRepository(TenantEntity).update({ id }, { schemaName });
}

export async function setTenantStatus(
  db: Db,
  id: string,
  status: Tenant['status'],
  failureReason: string | null = null,
): Promise<void> {
  await db.getRepository(TenantEntity).update({ id }, { status, failureReason });
}
