// Starts provisionTenant. Idempotent: if the workflow for this slug is already running for
// the same tenant, that is success; for another tenant it is a conflict. A slug is
// provisioned once: its workflow ID is never reused.
import type { provisionTenant } from '../../workflows/tenant-provisioning/provision-tenant.ts';
import type { ProvisionTenantInput } from '../../workflows/tenant-provisioning/contract.ts';
import { PROVISION_TENANT_KIND, provisionTenantWorkflowId } from '../../workflows/tenant-provisioning/contract.ts';
import { tenantApprovalPolicy } from '../../workflows/approvals/policy.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export interface ProvisioningStarterOptions extends StarterOptions {
  /** Plans whose tenants wait for a platform admin's approval, and for how long at most (absent: none). */
  approval?: { plans: readonly string[]; timeoutMs: number; approvers?: number };
}

export function startTenantProvisioning(
  options: ProvisioningStarterOptions,
  input: Omit<ProvisionTenantInput, 'timings' | 'approval'> & {
    /** The requester with an account (a signup's user): separation of duties keeps them from approving. */
    approvalRequesterId?: string | null;
  },
): Promise<StartResult> {
  const { approval, timings } = options;
  const { approvalRequesterId = null, ...workflowInput } = input;
  const required = approval?.plans.includes(input.plan) ?? false;
  return startOperation(options, {
    workflowId: provisionTenantWorkflowId(input.slug),
    kind: PROVISION_TENANT_KIND,
    tenantId: input.tenantId,
    args: [
      {
        ...workflowInput,
        timings,
        ...(approval
          ? {
              approval: {
                required,
                timeoutMs: approval.timeoutMs,
                // Who asked and the policy travel in the input: what the workflow judges by is in its history.
                ...(required
                  ? {
                      requesterId: approvalRequesterId,
                      policy: tenantApprovalPolicy(approval.timeoutMs, approval.approvers ?? 1),
                    }
                  : {}),
              },
            }
          : {}),
      },
    ] satisfies Parameters<typeof provisionTenant>,
  });
}
