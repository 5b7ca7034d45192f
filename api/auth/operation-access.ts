// Who may read an operation: it belongs to the tenant in its TenantId search attribute, so
// members whose role allows operations.read may, and platform admins may read all. Like
// tenant routes, an operation of a tenant the caller is not in answers 404, exactly as one
// that does not exist; operations with no tenant are for platform admins only.
import type { DataSource } from 'typeorm';
import { findMembership, listTenantRolesOfUser } from '../../db/repositories/memberships.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import { ProblemError } from '../http/problem.ts';
import type { AccessTokenClaims } from './access-tokens.ts';
import { roleAllows } from './permissions.ts';

export async function assertCanReadOperation(
  dataSource: DataSource,
  auth: AccessTokenClaims,
  operation: { id: string; tenantId: string | null },
): Promise<void> {
  if (auth.platformAdmin) return;
  const notFound = new ProblemError('notFound', `No operation "${operation.id}".`);
  if (!operation.tenantId) throw notFound;
  const tenantId = operation.tenantId;
  const membership = await withTenantScope(dataSource, tenantId, (db) => findMembership(db, tenantId, auth.userId));
  if (!membership) throw notFound;
  if (!roleAllows(membership.role, 'operations.read'))
    throw new ProblemError('forbidden', `Your role "${membership.role}" does not allow operations.read.`);
}

/**
 * The tenants whose operations the caller may list: `null` means every tenant (platform
 * admins); otherwise the ids of the tenants where the caller's role allows operations.read.
 */
export async function readableOperationTenants(
  dataSource: DataSource,
  auth: AccessTokenClaims,
): Promise<string[] | null> {
  if (auth.platformAdmin) return null;
  const roles = await withPlatformScope(dataSource, (db) => listTenantRolesOfUser(db, auth.userId));
  return roles.filter(({ role }) => roleAllows(role, 'operations.read')).map(({ tenant_id }) => tenant_id);
}
