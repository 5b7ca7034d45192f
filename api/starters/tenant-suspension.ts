// Starts suspendTenant and reactivateTenant. Idempotent: the workflow ID names the tenant
// and the suspension's number, so two requests for the same suspension start one workflow
// and both get it ("already started" for the same tenant is success).
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { ActivityTimings } from '../../workflows/operation.contract.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/operation.contract.ts';
import type { reactivateTenant } from '../../workflows/reactivate-tenant.ts';
import type { suspendTenant } from '../../workflows/suspend-tenant.ts';
import type { ReactivateTenantInput, SuspendTenantInput } from '../../workflows/tenant-suspension.contract.ts';
import {
  REACTIVATE_TENANT_KIND,
  reactivateTenantWorkflowId,
  SUSPEND_TENANT_KIND,
  suspendTenantWorkflowId,
} from '../../workflows/tenant-suspension.contract.ts';
import type { StarterOptions, StartResult } from './provision-tenant.ts';

export function startTenantSuspension(
  options: StarterOptions,
  input: Omit<SuspendTenantInput, 'timings'>,
): Promise<StartResult> {
  return start<typeof suspendTenant>(options, 'suspendTenant', SUSPEND_TENANT_KIND, {
    workflowId: suspendTenantWorkflowId(input.slug, input.number),
    tenantId: input.tenantId,
    args: (timings) => [{ ...input, timings }],
  });
}

export function startTenantReactivation(
  options: StarterOptions,
  input: Omit<ReactivateTenantInput, 'timings'>,
): Promise<StartResult> {
  return start<typeof reactivateTenant>(options, 'reactivateTenant', REACTIVATE_TENANT_KIND, {
    workflowId: reactivateTenantWorkflowId(input.slug, input.number),
    tenantId: input.tenantId,
    args: (timings) => [{ ...input, timings }],
  });
}

async function start<W extends typeof suspendTenant | typeof reactivateTenant>(
  { client, taskQueue, timings }: StarterOptions,
  workflowType: string,
  kind: string,
  run: { workflowId: string; tenantId: string; args: (timings: ActivityTimings) => Parameters<W> },
): Promise<StartResult> {
  const { workflowId, tenantId } = run;
  try {
    const handle = await client.workflow.start<W>(workflowType, {
      workflowId,
      taskQueue,
      args: run.args(timings),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [
        { key: TenantIdSearchAttribute, value: tenantId },
        { key: OperationKindSearchAttribute, value: kind },
      ],
    });
    return { started: true, workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(workflowId).describe();
    if (existing.typedSearchAttributes.get(TenantIdSearchAttribute) === tenantId)
      return { started: true, workflowId, runId: existing.runId };
    return { started: false, workflowId };
  }
}
