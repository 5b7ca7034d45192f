import type { DataSource, EntityManager } from 'typeorm';
import { withTenantScope, withTenantsScope } from '../../db/scope.ts';

/**
 * Runs `fn` in a transaction scoped to the tenant (row-level security) and holding a
 * per-tenant advisory lock. When a worker dies mid-step, its database session may live on
 * for a while; the lock makes the retry wait for that session to end instead of racing it.
 */
export function withTenantLock<T>(
  dataSource: DataSource,
  tenantId: string,
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return withTenantScope(dataSource, tenantId, async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [tenantLockKey(tenantId)]);
    return fn(manager);
  });
}

/** The text hashed into the advisory lock id; tests take the same lock to pause a step. */
export function tenantLockKey(tenantId: string): string {
  return `atrium:tenant:${tenantId}`;
}

/**
 * withTenantLock for several tenants in one transaction (db/scope.ts, withTenantsScope). The
 * locks are taken in the order of their keys, so two such transactions over overlapping
 * tenants wait for each other instead of deadlocking.
 */
export function withTenantsLock<T>(
  dataSource: DataSource,
  tenantIds: readonly string[],
  fn: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return withTenantsScope(dataSource, tenantIds, async (manager) => {
    await manager.query(
      `SELECT pg_advisory_xact_lock(hashtextextended(key, 0))
       FROM (SELECT key FROM unnest($1::text[]) AS key ORDER BY key OFFSET 0) AS ordered`,
      [tenantIds.map(tenantLockKey)],
    );
    return fn(manager);
  });
}
