// The contract of suspendTenant and reactivateTenant: IDs, inputs, results and steps.
// A tenant's suspensions are numbered; suspension n is undone by reactivation n.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const SUSPEND_TENANT_KIND = 'tenant-suspend' satisfies OperationKind;
export const REACTIVATE_TENANT_KIND = 'tenant-reactivate' satisfies OperationKind;

export function suspendTenantWorkflowId(slug: string, number: number): string {
  return OPERATION_CATALOGUE[SUSPEND_TENANT_KIND].workflowId({ slug, number });
}

export function reactivateTenantWorkflowId(slug: string, number: number): string {
  return OPERATION_CATALOGUE[REACTIVATE_TENANT_KIND].workflowId({ slug, number });
}

export interface SuspendTenantInput {
  tenantId: string;
  slug: string;
  /** Which suspension of the tenant this is (1, 2, …). */
  number: number;
  /** Shown to the tenant's members while suspended, and kept in the audit log. */
  reason: string;
  requestedBy: AuditActor;
  timings: ActivityTimings;
}

export interface ReactivateTenantInput {
  tenantId: string;
  slug: string;
  /** The suspension to undo. */
  number: number;
  requestedBy: AuditActor;
  timings: ActivityTimings;
}

export interface TenantSuspensionResult {
  tenantId: string;
  number: number;
  progress: OperationProgress;
}

export const SUSPEND_TENANT_STEPS = [
  { name: 'block', title: "Close the tenant's API to members and API keys" },
  { name: 'sessions', title: "Revoke sessions started through the tenant's single sign-on" },
  { name: 'workloads', title: "Scale the tenant's workloads to zero" },
  { name: 'schedules', title: "Pause the tenant's scheduled syncs and rotations" },
] as const;
export type SuspendTenantStep = (typeof SUSPEND_TENANT_STEPS)[number]['name'];

export const REACTIVATE_TENANT_STEPS = [
  { name: 'workloads', title: 'Restore the workloads the suspension scaled down' },
  { name: 'unblock', title: "Reopen the tenant's API" },
  { name: 'webhooks', title: "Resume the tenant's webhook deliveries held during the suspension" },
  { name: 'schedules', title: 'Resume the scheduled syncs and rotations the suspension paused' },
] as const;
export type ReactivateTenantStep = (typeof REACTIVATE_TENANT_STEPS)[number]['name'];
