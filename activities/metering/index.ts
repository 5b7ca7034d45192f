// The metering family's activities: which tenants a reconciliation run covers (tenants.ts),
// reporting and reading back their windows (windows.ts), and signing their records (records.ts),
// one tenant per call or a batch of tenants per call (batches.ts).
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createBatchActivities } from './batches.ts';
import { createRecordActivities } from './records.ts';
import { createMeteringTenantActivities } from './tenants.ts';
import { createWindowActivities } from './windows.ts';

export function createMeteringActivities(deps: ActivityDeps) {
  const windows = createWindowActivities(deps);
  const records = createRecordActivities(deps);
  return {
    ...createMeteringTenantActivities(deps),
    ...windows,
    ...records,
    ...createBatchActivities(windows, records),
  };
}
export type MeteringActivities = ReturnType<typeof createMeteringActivities>;

export default {
  // One run at a time (the Schedule's overlap policy), two tenants at once within it; the
  // calls to Stripe run 8 at a time inside each activity and hold no connection.
  defaultActivitySlots: 2,
  createActivities: createMeteringActivities,
} satisfies ActivityFamily;
