// The metering family's activities: which tenants a reconciliation run covers (tenants.ts),
// reporting and reading back their windows (windows.ts), and signing their records (records.ts),
// a batch of tenants per call (or one tenant, for offboarding and runs from before the batches).
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createRecordActivities } from './records.ts';
import { createMeteringTenantActivities } from './tenants.ts';
import { createWindowActivities } from './windows.ts';

export function createMeteringActivities(deps: ActivityDeps) {
  return {
    ...createMeteringTenantActivities(deps),
    ...createWindowActivities(deps),
    ...createRecordActivities(deps),
  };
}
export type MeteringActivities = ReturnType<typeof createMeteringActivities>;

export default {
  // One run at a time (the Schedule's overlap policy), two batches of tenants at once within
  // it; the calls to Stripe run 16 at a time inside each activity and hold no connection.
  defaultActivitySlots: 2,
  createActivities: createMeteringActivities,
} satisfies ActivityFamily;
