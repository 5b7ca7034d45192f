// The provisionTenant workflow's contract: ID, input, result and the steps it reports.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { defineUpdate } from '@temporalio/workflow';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';
import type { PlanName } from '../shared/plans.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';

export const PROVISION_TENANT_KIND = 'tenant-provision' satisfies OperationKind;

/** Readable, unique per tenant: starting it twice for one slug is refused by Temporal. */
export function provisionTenantWorkflowId(slug: string): string {
  return OPERATION_CATALOGUE[PROVISION_TENANT_KIND].workflowId({ slug });
}

export interface ProvisionTenantInput {
  tenantId: string;
  slug: string;
  name: string;
  plan: PlanName;
  ownerEmail: string;
  /** Who asked, recorded in the audit log by every step. Absent in early histories. */
  requestedBy?: AuditActor;
  /**
   * When the API accepted the request (ISO 8601). The record step stores it as the tenant's
   * creation time, so the API's 202 answers with the stored value without waiting for the
   * row. Absent in earlier histories and for signups (their row exists before the start).
   */
  requestedAt?: string;
  timings: ActivityTimings;
  /**
   * Whether a platform admin must approve the tenant first (its plan asks for it), and how
   * long the workflow waits before the request counts as rejected. Absent: no approval.
   */
  approval?: {
    required: boolean;
    timeoutMs: number;
    /**
     * Who asked for the tenant, if they have an account (a signup): they may not approve it
     * (separation of duties). Null when a platform admin enters a customer's tenant.
     */
    requesterId?: string | null;
    /** The policy to judge decisions by (absent: one platform admin within timeoutMs). */
    policy?: ApprovalPolicy;
  };
}

/** A platform admin's answer to a tenant waiting for approval (the Update's argument). */
export interface ApprovalDecision {
  approve: boolean;
  /** Required when rejecting: the owner is told. */
  reason?: string;
  /** Who decides, as the API authenticated them. */
  decidedBy: { userId: string; platformAdmin: boolean; requestId: string | null; ip: string | null };
}

export interface ApprovalOutcome {
  status: 'approved' | 'rejected';
  decidedBy: string;
}

/**
 * Validated Update: the validator refuses (without touching history) callers who are not
 * platform admins, a rejection without a reason, and any decision once one was taken — so of
 * two admins deciding at once, exactly one wins and the other is told.
 */
export const decideApprovalUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecision]>('decideApproval');

export interface ProvisionTenantResult {
  tenantId: string;
  schemaName: string;
  /** v3: the login role of the schema, the license id, and the namespaces (none when skipped). */
  roleName?: string;
  licenseId?: string;
  namespaces?: string[];
  /** Since the plan's default environments: the tenant's environments, in order. */
  environments?: string[];
  progress: OperationProgress;
}

/**
 * The steps of workflows started before the full provisioning (v1, v2 histories): they
 * still run, and replay, with these.
 */
export const PROVISION_TENANT_STEPS_V2 = [
  { name: 'record', title: 'Create the tenant record' },
  { name: 'schema', title: "Create the tenant's Postgres schema" },
  { name: 'activate', title: 'Activate the tenant' },
] as const;

/** The approval step: only in the progress of tenants whose plan needs approval. */
export const APPROVAL_STEP = { name: 'approval', title: 'Wait for a platform admin to approve the tenant' } as const;

/** The steps of provisionTenant today (v3); `approval` follows `record` when required. */
export const PROVISION_TENANT_STEPS = [
  { name: 'record', title: 'Create the tenant record' },
  { name: 'database', title: "Create the tenant's Postgres schema and login role" },
  { name: 'secrets', title: 'Give the tenant its own secret store path, policy and AppRole' },
  { name: 'billing', title: 'Create the billing customer and subscription' },
  { name: 'cluster', title: "Create the tenant's namespaces" },
  { name: 'license', title: 'Issue the signed license' },
  { name: 'welcome', title: 'Mail the owner a welcome' },
  { name: 'activate', title: 'Activate the tenant' },
] as const;

export type ProvisionTenantStep =
  | (typeof PROVISION_TENANT_STEPS)[number]['name']
  | (typeof PROVISION_TENANT_STEPS_V2)[number]['name']
  | typeof APPROVAL_STEP.name;

/**
 * Marks workflows whose `cluster` step makes the plan's default environments (recorded as the
 * tenant's environments, CLUSTER_ENVIRONMENTS capped by the plan: docs/decisions/0019) rather
 * than one namespace per configured environment.
 */
export const PROVISION_TENANT_PLAN_ENVIRONMENTS_PATCH = 'provision-tenant-plan-environments';

/**
 * The patch of the approval on the approval primitive (workflows/approvals/); workflows
 * without it take decisions through decideApprovalUpdate.
 */
export const PROVISION_TENANT_APPROVAL_PRIMITIVE_PATCH = 'provision-tenant-approval-primitive';

/** The patch (workflow versioning marker) of the v3 steps; workflows without it run the v2 steps. */
export const PROVISION_TENANT_V3_PATCH = 'provision-tenant-v3-full-steps';
