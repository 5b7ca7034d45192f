import type { DataSource, EntityManager } from 'typeorm';
import { withTenantScope } from '../../db/scope.ts';

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
