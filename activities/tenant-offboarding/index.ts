// The tenant-offboarding family's activities: closing, exporting and tearing a tenant down.
import type { ActivityFamily } from '../shared/deps.ts';
import { createTenantOffboardingActivities } from './activities.ts';

export type { TenantOffboardingActivities } from './activities.ts';

export default {
  // Exports hold a tenant's data in memory and deletions wait on the cluster: few at a time.
  defaultActivitySlots: 5,
  createActivities: createTenantOffboardingActivities,
} satisfies ActivityFamily;
