// Every query on the tenants table. Writes are idempotent so that activities can retry them.
import type { DataSource, EntityManager } from 'typeorm';
import { TenantEntity } from '../entities/tenant.ts';
import type { TenantPlan } from '../../contracts/tenants.ts';
import type { Tenant } from '../entities/tenant.ts';

export interface NewTenant {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  ownerEmail: string;
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
    .values({ ...tenant, status: 'pending' })
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

export function listTenants(db: Db): Promise<Tenant[]> {
  return db.getRepository(TenantEntity).find({ order: { createdAt: 'DESC' } });
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
