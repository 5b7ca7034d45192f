// The slice of the Atrium API contract (/api/v1) the portal reads. The portal talks
// to the API over HTTP only, so these mirror the JSON it returns. Roles and permissions
// are the API's own types (api/auth/permissions.ts is the one matrix; types only, no code).
import type { Permission } from '../../../api/auth/permissions.ts';
import type { Role } from '../../../db/repositories/memberships.ts';

export type { Permission, Role };

export type TenantPlan = 'free' | 'team' | 'enterprise';
export const tenantPlans: readonly TenantPlan[] = ['free', 'team', 'enterprise'];

export type TenantStatus = 'pending' | 'active' | 'failed' | 'suspended' | 'offboarding' | 'offboarded';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  plan: TenantPlan;
  status: TenantStatus;
  failureReason: string | null;
  /** Null when the plan needs no platform admin's approval. */
  approvalStatus: 'pending' | 'approved' | 'rejected' | null;
  createdAt: string;
  updatedAt: string;
}

export type OperationKind = 'tenant-provision' | 'tenant-suspend' | 'tenant-reactivate' | 'tenant-offboard';
export const operationKinds: readonly OperationKind[] = [
  'tenant-provision',
  'tenant-suspend',
  'tenant-reactivate',
  'tenant-offboard',
];

export type OperationStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'compensated';

export interface OperationStep {
  name: string;
  title: string;
  status: StepStatus;
  startedAt: string | null;
  completedAt: string | null;
  error: string | null;
  /** Which attempt the running step's activity is on, once it has been retried. */
  attempt?: number | null;
}

export interface OperationLinks {
  self: string;
  events: string;
  temporalUi: string;
}

export interface OperationSummary {
  id: string;
  kind: OperationKind;
  /** Null for an operation that belongs to no tenant. */
  tenantId: string | null;
  workflowId: string;
  runId: string;
  status: OperationStatus;
  startedAt: string;
  closedAt: string | null;
  links: OperationLinks;
}

export interface Operation extends OperationSummary {
  steps: OperationStep[];
  error: string | null;
}

export interface CreateTenantInput {
  slug: string;
  name: string;
  plan: string;
  ownerEmail: string;
}

export interface CreateTenantAccepted {
  tenant: Tenant;
  operation: OperationSummary;
}

/** RFC 9457 problem details, as the API sends them with application/problem+json. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** The signed-in user, as the API's auth routes return it. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  isPlatformAdmin: boolean;
}

/** POST /api/v1/auth/login and /refresh. */
export interface ApiSession {
  tokenType: 'Bearer';
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  user: User;
}

export interface Member {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  joinedAt: string;
}

/** GET /api/v1/tenants/:slug/members/me: the caller's role and what it allows. */
export interface Membership {
  role: Role;
  permissions: Permission[];
}
