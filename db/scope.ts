// Every transaction of the application role says whose data it works on. Row-level
// security policies read these settings; a transaction that sets neither sees no
// tenant-owned rows at all.
import type { DataSource, EntityManager } from 'typeorm';

/** A transaction that sees and writes only `tenantId`'s rows. */
export function withTenantScope<T>(
  dataSource: DataSource,
  tenantId: string,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT set_config('atrium.tenant_id', $1, true)`, [tenantId]);
    return fn(manager);
  });
}

/** A transaction for platform work (platform admins, tenant creation) across tenants. */
export function withPlatformScope<T>(dataSource: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT set_config('atrium.scope', 'platform', true)`);
    return fn(manager);
  });
}

/**
 * A transaction over a few named tenants' rows (a batch of a platform-wide operation): the
 * tenant's own scope when there is one, else platform scope, in which every statement must name
 * the tenants itself (`tenant_id = ANY(…)`).
 */
export function withTenantsScope<T>(
  dataSource: DataSource,
  tenantIds: readonly string[],
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return tenantIds.length === 1 ? withTenantScope(dataSource, tenantIds[0]!, fn) : withPlatformScope(dataSource, fn);
}
