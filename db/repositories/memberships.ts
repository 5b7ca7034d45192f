// Queries on memberships. Run them in a tenant-scoped transaction (db/scope.ts): the
// table is guarded by row-level security.
import type { EntityManager } from 'typeorm';
import type { Role } from '../../contracts/members.ts';

export interface MemberRow {
  user_id: string;
  email: string;
  display_name: string;
  role: Role;
  created_at: Date;
}

export async function findMembership(
  db: EntityManager,
  tenantId: string,
  userId: string,
): Promise<{ role: Role } | null> {
  const rows = await db.query<Array<{ role: Role }>>(
    `SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2`,
    [tenantId, userId],
  );
  return rows[0] ?? null;
}

export function listMembers(db: EntityManager, tenantId: string): Promise<MemberRow[]> {
  return db.query<MemberRow[]>(
    `SELECT m.user_id, u.email, u.display_name, m.role, m.created_at
     FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = $1 ORDER BY m.created_at, u.email`,
    [tenantId],
  );
}

/** Adds the member unless present. Returns true when added now. */
export async function addMembershipIfAbsent(
  db: EntityManager,
  tenantId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING user_id`,
    [tenantId, userId, role],
  );
  return rows.length > 0;
}

export async function setMemberRole(db: EntityManager, tenantId: string, userId: string, role: Role): Promise<void> {
  await db.query(`UPDATE memberships SET role = $3, updated_at = now() WHERE tenant_id = $1 AND user_id = $2`, [
    tenantId,
    userId,
    role,
  ]);
}

export async function removeMembership(db: EntityManager, tenantId: string, userId: string): Promise<void> {
  await db.query(`DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [tenantId, userId]);
}

/** Owners of the tenant, locked until the transaction ends so two removals cannot race. */
export async function lockOwners(db: EntityManager, tenantId: string): Promise<string[]> {
  const rows = await db.query<Array<{ user_id: string }>>(
    `SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE`,
    [tenantId],
  );
  return rows.map((row) => row.user_id);
}

/** The tenants a user belongs to, with the role in each (a platform-scope read keyed by the user). */
export function listTenantRolesOfUser(
  db: EntityManager,
  userId: string,
): Promise<Array<{ tenant_id: string; role: Role }>> {
  return db.query(`SELECT tenant_id, role FROM memberships WHERE user_id = $1`, [userId]);
}

/** The tenant's owners and their addresses (who is mailed about the tenant's endpoints). */
export function listOwnerAddresses(
  db: EntityManager,
  tenantId: string,
): Promise<Array<{ user_id: string; email: string }>> {
  return db.query(
    `SELECT m.user_id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = $1 AND m.role = 'owner' ORDER BY u.email`,
    [tenantId],
  );
}

/** The tenant's owners and admins with their addresses (who is mailed about billing and connections). */
export function listOwnerAndAdminAddresses(
  db: EntityManager,
  tenantId: string,
): Promise<Array<{ user_id: string; email: string; role: string }>> {
  return db.query(
    `SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = $1 AND m.role IN ('owner', 'admin') ORDER BY u.email`,
    [tenantId],
  );
}
