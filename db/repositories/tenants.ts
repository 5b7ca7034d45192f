// Every query on the tenants table. Writes are idempotent so that activities can retry them.
import type { DataSource, EntityManager } from 'typeorm';
import { TenantEntity } from '../entities/tenant.ts';
import type { Tenant, TenantPlan } from '../entities/tenant.ts';

export interface NewTenant {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  ownerEmail: string;
}

type Db = DataSource | EntityManager;

/**
 * Inserts the tenant as `pending` unless a row with this id exists already.
 * Returns the row as stored (which may belong to another id if the slug is taken).
 */
export async function insertTenantIfAbsent(db: Db, tenant: NewTenant): Promise<Tenant | null> {
  await db
    .createQueryBuilder()
    .insert()
    .into(TenantEntity)
    .values({ ...tenant, status: 'pending' })
    .orIgnore()
    .execute();
  return db.getRepository(TenantEntity).findOneBy({ slug: tenant.slug });
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

/** Moves a pending tenant to active; a no-op when it is active already. */
export async function activateTenant(db: Db, id: string): Promise<Tenant | null> {
  await db
    .getRepository(TenantEntity)
    .createQueryBuilder()
    .update()
    .set({ status: 'active', failureReason: null })
    .where('id = :id AND status IN (:...from)', { id, from: ['pending', 'active'] })
    .execute();
  return findTenantById(db, id);
}

export async function markTenantFailed(db: Db, id: string, reason: string): Promise<void> {
  await db.getRepository(TenantEntity).update({ id }, { status: 'failed', failureReason: reason });
}
