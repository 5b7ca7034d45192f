// The tenant-provisioning family's activities: the tenant row and its status, the approval
// wait, and every resource provisioning builds (with its undo).
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createTenantApprovalActivities } from './approval.ts';
import { createProvisioningActivities } from './steps.ts';
import { createTenantActivities } from './tenant-record.ts';

export function createTenantProvisioningActivities(deps: ActivityDeps) {
  return {
    ...createTenantActivities(deps),
    ...createProvisioningActivities(deps),
    ...createTenantApprovalActivities(deps),
  };
}
export type TenantProvisioningActivities = ReturnType<typeof createTenantProvisioningActivities>;

export default {
  // Signups arrive in bursts (twenty at once in tests/integration/concurrent-signups.test.ts).
  defaultActivitySlots: 20,
  createActivities: createTenantProvisioningActivities,
} satisfies ActivityFamily;
