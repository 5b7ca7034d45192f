// The permission matrix: what each tenant role may do. Routes ask for a permission
// (requireTenantPermission), never for a role, so this table is the one place to read
// or change who may do what. The portal uses the same table to show or hide actions.
// The roles and permissions themselves are named in the wire contract (contracts/members.ts).
import type { Permission, Role } from '../../contracts/members.ts';

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: [
    'tenant.read',
    'members.read',
    'members.manage',
    'operations.read',
    'audit.read',
    'apikeys.read',
    'apikeys.manage',
    'sso.read',
    'sso.manage',
    'webhooks.read',
    'webhooks.manage',
    'connectors.read',
    'connectors.manage',
    'secrets.read',
    'secrets.manage',
    'secrets.reveal',
    'environments.read',
    'environments.manage',
    'releases.manage',
    'plan.change',
    'billing.read',
    'usage.report',
    'approvals.manage',
  ],
  admin: [
    'tenant.read',
    'members.read',
    'members.manage',
    'operations.read',
    'audit.read',
    'apikeys.read',
    'apikeys.manage',
    'sso.read',
    'sso.manage',
    'webhooks.read',
    'webhooks.manage',
    'connectors.read',
    'connectors.manage',
    'secrets.read',
    'secrets.manage',
    'secrets.reveal',
    'billing.read',
    'usage.report',
    'approvals.manage',
    'environments.read',
    'environments.manage',
    'releases.manage',
  ],
  developer: [
    'tenant.read',
    'members.read',
    'operations.read',
    'apikeys.read',
    'webhooks.read',
    'connectors.read',
    'connectors.manage',
    // Developers keep their applications' secrets (set and replace values) but reveal none.
    'secrets.read',
    'secrets.manage',
    'usage.report',
    'environments.read',
    'releases.manage',
  ],
  viewer: ['tenant.read', 'members.read', 'connectors.read', 'secrets.read', 'environments.read'],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** Roles from most to least powerful: a key or invitation may not exceed its creator's role. */
export const ROLE_RANK: Record<Role, number> = { owner: 4, admin: 3, developer: 2, viewer: 1 };
