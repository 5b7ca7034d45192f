// The tenant-offboarding family's activities: closing and exporting a tenant
// (close-and-export.ts), tearing it down (teardown-steps.ts), the report that ties the
// steps together (report.ts), and the final webhook delivery before the endpoints go
// (webhooks.ts); first of the deletions, its connections are disconnected and its Schedules
// deleted (connections.ts), then its open promotions and its open plan change are ended
// (promotions.ts, plan-changes.ts) and its pending approval requests closed (promotions.ts);
// after the namespaces, its environments are marked deleted (environments.ts); before its
// billing customer is deleted, the final metering reconciliation's evidence is recorded
// (metering.ts). Each is safe to retry: it works under the tenant's lock
// (activities/shared/kernel.ts), does only what is not done yet, and records what it did in
// the tenant's teardown report. Audit entries are written in the transaction of the change,
// and only when something changed.
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createCloseAndExportActivities } from './close-and-export.ts';
import { createConnectionTeardownActivities } from './connections.ts';
import { createEnvironmentTeardownActivities } from './environments.ts';
import { createMeteringTeardownActivities } from './metering.ts';
import { createPlanChangeTeardownActivities } from './plan-changes.ts';
import { createPromotionTeardownActivities } from './promotions.ts';
import { createReportActivities } from './report.ts';
import { createTeardownActivities } from './teardown-steps.ts';
import { createWebhookTeardownActivities } from './webhooks.ts';

export function createTenantOffboardingActivities(deps: ActivityDeps) {
  return {
    ...createCloseAndExportActivities(deps),
    ...createConnectionTeardownActivities(deps),
    ...createPromotionTeardownActivities(deps),
    ...createPlanChangeTeardownActivities(deps),
    ...createEnvironmentTeardownActivities(deps),
    ...createTeardownActivities(deps),
    ...createMeteringTeardownActivities(deps),
    ...createReportActivities(deps),
    ...createWebhookTeardownActivities(deps),
  };
}
export type TenantOffboardingActivities = ReturnType<typeof createTenantOffboardingActivities>;

export default {
  // Exports hold a tenant's data in memory and deletions wait on the cluster: few at a time.
  defaultActivitySlots: 5,
  createActivities: createTenantOffboardingActivities,
} satisfies ActivityFamily;
