// Members of a tenant, their roles, and what the caller's own role allows. The roles and
// permissions are named here; which role has which permission is the API's one matrix
// (api/auth/permissions.ts).
import { z } from 'zod';
import { TenantPath } from './common.ts';

/** Tenant roles, from most to least powerful. */
export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const PERMISSIONS = [
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
  // Managed secrets: metadata, changes, and revealing a value (each reveal is audited).
  'secrets.read',
  'secrets.manage',
  'secrets.reveal',
  // Environments: reading them, and creating, configuring, protecting and deleting them (owners, admins).
  'environments.read',
  'environments.manage',
  // Creating releases (images by digest) to promote through the environments: owners, admins, developers.
  'releases.manage',
  // Changing the tenant's plan (it changes what the tenant pays): owners.
  'plan.change',
  // Reading what the tenant is billed (its invoices from the billing provider): owners and admins.
  'billing.read',
  // Reporting usage with an API key (POST /api/v1/usage): keys of owners, admins, developers.
  'usage.report',
  // Editing the approval policies and groups, and simulating a policy: owners and admins.
  'approvals.manage',
  // Suspending, reactivating, approving and offboarding a tenant: platform admins only
  // (no tenant role has it).
  'tenant.lifecycle',
] as const;
export const Permission = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof Permission>;

export const Member = z
  .object({ userId: z.uuid(), email: z.string(), displayName: z.string(), role: Role, joinedAt: z.string() })
  .meta({ id: 'Member' });
export type Member = z.infer<typeof Member>;

export const MemberList = z.object({ items: z.array(Member) });
export type MemberList = z.infer<typeof MemberList>;

/** GET /api/v1/tenants/:slug/members/me: the caller's role and what it allows. */
export const Membership = z
  .object({
    role: Role.meta({ description: "The caller's role; platform admins who are not members act as admin." }),
    permissions: z.array(Permission),
  })
  .meta({ id: 'Membership' });
export type Membership = z.infer<typeof Membership>;

export const MemberPath = TenantPath.extend({ userId: z.uuid('Must be a user id (UUID).') });

export const ChangeMemberRoleRequest = z.strictObject({ role: Role }).meta({ id: 'ChangeMemberRoleRequest' });
export type ChangeMemberRoleRequest = z.infer<typeof ChangeMemberRoleRequest>;
