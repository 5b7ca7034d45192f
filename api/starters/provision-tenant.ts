// Starts provisionTenant. Idempotent: if the workflow for this slug is already running for
// the same tenant, that is success; for another tenant it is a conflict.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { ActivityTimings } from '../../workflows/operation.contract.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/operation.contract.ts';
import type { provisionTenant } from '../../workflows/provision-tenant.ts';
import type { ProvisionTenantInput } from '../../workflows/provision-tenant.contract.ts';
import { PROVISION_TENANT_KIND, provisionTenantWorkflowId } from '../../workflows/provision-tenant.contract.ts';

export interface StarterOptions {
  client: Client;
  taskQueue: string;
  timings: ActivityTimings;
}

export interface ProvisioningStarterOptions extends StarterOptions {
  /** Plans whose tenants wait for a platform admin's approval, and for how long at most (absent: none). */
  approval?: { plans: readonly string[]; timeoutMs: number };
}

export type StartResult = { started: true; workflowId: string; runId: string } | { started: false; workflowId: string };

export async function startTenantProvisioning(
  { client, taskQueue, timings, approval }: ProvisioningStarterOptions,
  input: Omit<ProvisionTenantInput, 'timings' | 'approval'>,
): Promise<StartResult> {
  const workflowId = provisionTenantWorkflowId(input.slug);
  try {
    const handle = await client.workflow.start<typeof provisionTenant>('provisionTenant', {
      workflowId,
      taskQueue,
      args: [
        {
          ...input,
          timings,
          ...(approval
            ? { approval: { required: approval.plans.includes(input.plan), timeoutMs: approval.timeoutMs } }
            : {}),
        },
      ],
      // A slug is provisioned once: its workflow ID is never reused.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [
        { key: TenantIdSearchAttribute, value: input.tenantId },
        { key: OperationKindSearchAttribute, value: PROVISION_TENANT_KIND },
      ],
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(workflowId).describe();
    if (existing.typedSearchAttributes.get(TenantIdSearchAttribute) === input.tenantId) {
      return { started: true, workflowId, runId: existing.runId };
    }
    return { started: false, workflowId };
  }
}
