// The tenant-suspension family's activities: suspendTenant's and reactivateTenant's steps.
import type { ActivityFamily } from '../shared/deps.ts';
import { createTenantSuspensionActivities } from './activities.ts';

export type { TenantSuspensionActivities } from './activities.ts';

export default {
  // Admin actions, one tenant at a time; a slow cluster must not hold more than these.
  defaultActivitySlots: 5,
  createActivities: createTenantSuspensionActivities,
} satisfies ActivityFamily;
