// The provisionTenant workflow's contract: ID, input, result and the steps it reports.
import type { AuditActor } from '../db/repositories/audit-log.ts';
import type { ActivityTimings, OperationProgress } from './operation.contract.ts';

export const PROVISION_TENANT_KIND = 'tenant-provision';

/** Readable, unique per tenant: starting it twice for one slug is refused by Temporal. */
export function provisionTenantWorkflowId(slug: string): string {
  return `${PROVISION_TENANT_KIND}/${slug}`;
}

export interface ProvisionTenantInput {
  tenantId: string;
  slug: string;
  name: string;
  plan: 'free' | 'team' | 'enterprise';
  ownerEmail: string;
  /** Who asked, recorded in the audit log by every step. Absent in early histories. */
  requestedBy?: AuditActor;
  timings: ActivityTimings;
}

export interface ProvisionTenantResult {
  tenantId: string;
  schemaName: string;
  progress: OperationProgress;
}

export const PROVISION_TENANT_STEPS = [
  { name: 'record', title: 'Create the tenant record' },
  { name: 'schema', title: "Create the tenant's Postgres schema" },
  { name: 'activate', title: 'Activate the tenant' },
] as const;

export type ProvisionTenantStep = (typeof PROVISION_TENANT_STEPS)[number]['name'];
