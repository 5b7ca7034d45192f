// The tenant-suspension family's activities: suspendTenant's and reactivateTenant's steps
// (activities.ts), and pausing and resuming the tenant's Schedules (schedules.ts).
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createTenantSuspensionActivities } from './activities.ts';
import { createSuspensionScheduleActivities } from './schedules.ts';

export function createSuspensionFamilyActivities(deps: ActivityDeps) {
  return { ...createTenantSuspensionActivities(deps), ...createSuspensionScheduleActivities(deps) };
}
export type TenantSuspensionActivities = ReturnType<typeof createSuspensionFamilyActivities>;

export default {
  // Admin actions, one tenant at a time; a slow cluster must not hold more than these.
  defaultActivitySlots: 5,
  createActivities: createSuspensionFamilyActivities,
} satisfies ActivityFamily;
