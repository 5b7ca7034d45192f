// The tenant-provisioning family's activities: the tenant row and its status, the approval
// wait, and every resource provisioning builds (with its undo), one file per step.
//
// Every activity is safe to retry: it runs under the per-tenant lock (activities/shared/
// kernel.ts), looks at what exists (tenant_resources records what each step made) and does
// only what is missing; external creates are create-if-absent (server-side apply, Vault's
// idempotent writes) or carry an idempotency key derived from the tenant and the step. Audit
// entries are written in the same transaction as the record of the change, and only when
// something changed. Secret values never leave an activity: inputs and results carry names
// and paths.
import { createApprovalActivities } from '../approvals/index.ts';
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createTenantApprovalActivities } from './approval.ts';
import { createBillingActivities } from './billing.ts';
import { createClusterActivities } from './cluster.ts';
import { createDatabaseActivities } from './database.ts';
import { createLicenseActivities } from './license-step.ts';
import { createSecretAccessActivities } from './secrets.ts';
import { createTenantActivities } from './tenant-record.ts';
import { createWelcomeMailActivities } from './welcome-mail.ts';

export function createTenantProvisioningActivities(deps: ActivityDeps) {
  return {
    ...createTenantActivities(deps),
    ...createDatabaseActivities(deps),
    ...createSecretAccessActivities(deps),
    ...createBillingActivities(deps),
    ...createClusterActivities(deps),
    ...createLicenseActivities(deps),
    ...createWelcomeMailActivities(deps),
    ...createTenantApprovalActivities(deps),
    // The approval primitive (workflows/approvals/): enterprise tenants wait on it.
    ...createApprovalActivities(deps),
  };
}
export type TenantProvisioningActivities = ReturnType<typeof createTenantProvisioningActivities>;

export default {
  // Signups arrive in bursts (twenty at once in tests/integration/concurrent-signups.test.ts).
  defaultActivitySlots: 20,
  createActivities: createTenantProvisioningActivities,
} satisfies ActivityFamily;
