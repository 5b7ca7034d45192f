// The contract of offboardTenant: ID, input, result, steps, the cancel signal and the query
// the API reads to learn whether a cancel was accepted. Imports nothing Node-only.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';
import type { TenantReconciliationOptions } from '../metering/reconcile-tenant-now.ts';

export const OFFBOARD_TENANT_KIND = 'tenant-offboard' satisfies OperationKind;

/** One offboarding at a time per tenant; a cancelled one may be followed by a new run. */
export function offboardTenantWorkflowId(slug: string): string {
  return OPERATION_CATALOGUE[OFFBOARD_TENANT_KIND].workflowId({ slug });
}

export interface OffboardTenantInput {
  tenantId: string;
  slug: string;
  /** Why (kept in the audit log and the teardown report). */
  reason: string;
  /** How long the tenant stays closed, and can be brought back, before deletion (ms). */
  gracePeriodMs: number;
  requestedBy: AuditActor;
  timings: ActivityTimings;
  /**
   * How long the last step waits for `tenant.offboarded` to reach the tenant's webhook
   * endpoints before deleting them (WEBHOOK_FINAL_DELIVERY_WAIT). Absent in runs started
   * before it: DEFAULT_FINAL_WEBHOOK_DELIVERY_WAIT_MS.
   */
  finalWebhookDeliveryWaitMs?: number;
  /**
   * Where and how the `metering` step reconciles the tenant's usage one last time before its
   * billing customer is deleted (the metering family's task queue and policy). Absent in runs
   * started before that step existed: it is skipped, as the hourly runs reconciled their
   * closed windows.
   */
  finalReconciliation?: Omit<TenantReconciliationOptions, 'timings'>;
}

export const DEFAULT_FINAL_WEBHOOK_DELIVERY_WAIT_MS = 3_600_000;

export interface OffboardTenantResult {
  tenantId: string;
  outcome: 'offboarded' | 'cancelled';
  progress: OperationProgress;
}

export interface CancelOffboardingRequest {
  /** Chosen by the caller, so it can find out whether the workflow accepted this request. */
  requestId: string;
  requestedBy: AuditActor;
}

/** Calls the offboarding off; honoured only during the grace period (before deletion). */
export const cancelOffboardingSignal = defineSignal<[CancelOffboardingRequest]>('cancelOffboarding');

export interface OffboardingState {
  /** When deletion starts unless cancelled (ISO), once the grace period began. */
  deleteAfter: string | null;
  deletionStarted: boolean;
  cancelled: boolean;
  /** The latest cancel requests and whether each was accepted (at most 20). */
  cancelRequests: Array<{ requestId: string; accepted: boolean }>;
}

export const offboardingStateQuery = defineQuery<OffboardingState>('getOffboardingState');

export const OFFBOARD_TENANT_STEPS = [
  { name: 'export', title: 'Close the tenant and export its data into a downloadable archive' },
  { name: 'grace', title: 'Wait out the grace period (the offboarding can be cancelled until it ends)' },
  {
    name: 'connections',
    title: "Disconnect the tenant's connections (tokens revoked at each provider) and delete its Schedules",
  },
  {
    name: 'promotions',
    title: "End the tenant's open promotions: their workflows cancelled, each recorded failed",
  },
  {
    name: 'plan-changes',
    title: "End the tenant's open plan change: its workflow cancelled, recorded cancelled",
  },
  {
    name: 'approvals',
    title: "Close the tenant's pending approval requests (rejected: the tenant was offboarded)",
  },
  { name: 'namespaces', title: "Delete the tenant's namespaces and wait until they are gone" },
  { name: 'environments', title: "Mark the tenant's environments deleted, their namespaces gone" },
  { name: 'secrets', title: "Destroy the tenant's secrets and remove its secret-store policy and AppRole" },
  { name: 'database', title: "Drop the tenant's database login role and schema, withdraw its license" },
  {
    name: 'metering',
    title: "Reconcile the tenant's usage up to now with the billing provider (the open hour included)",
  },
  { name: 'billing', title: "Cancel the tenant's subscription and delete its billing customer" },
  { name: 'report', title: 'Write the teardown report and mark the tenant offboarded' },
  {
    name: 'webhooks',
    title: "Deliver tenant.offboarded to the tenant's webhook endpoints, then delete them and their secrets",
  },
] as const;
export type OffboardTenantStep = (typeof OFFBOARD_TENANT_STEPS)[number]['name'];

/** The steps that delete something: never started once cancelled, never cancellable once started. */
export const OFFBOARD_DELETION_STEPS = [
  'connections',
  'promotions',
  'plan-changes',
  'approvals',
  'namespaces',
  'environments',
  'secrets',
  'database',
  'metering',
  'billing',
  'report',
  'webhooks',
] as const satisfies readonly OffboardTenantStep[];
