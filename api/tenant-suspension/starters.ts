// Starts suspendTenant and reactivateTenant. Idempotent: the workflow ID names the tenant
// and the suspension's number, so two requests for the same suspension start one workflow
// and both get it ("already started" for the same tenant is success).
import type { reactivateTenant } from '../../workflows/tenant-suspension/reactivate-tenant.ts';
import type { suspendTenant } from '../../workflows/tenant-suspension/suspend-tenant.ts';
import type { ReactivateTenantInput, SuspendTenantInput } from '../../workflows/tenant-suspension/contract.ts';
import {
  REACTIVATE_TENANT_KIND,
  reactivateTenantWorkflowId,
  SUSPEND_TENANT_KIND,
  suspendTenantWorkflowId,
} from '../../workflows/tenant-suspension/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startTenantSuspension(
  options: StarterOptions,
  input: Omit<SuspendTenantInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    workflowId: suspendTenantWorkflowId(input.slug, input.number),
    kind: SUSPEND_TENANT_KIND,
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof suspendTenant>,
  });
}

export function startTenantReactivation(
  options: StarterOptions,
  input: Omit<ReactivateTenantInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    workflowId: reactivateTenantWorkflowId(input.slug, input.number),
    kind: REACTIVATE_TENANT_KIND,
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof reactivateTenant>,
  });
}
