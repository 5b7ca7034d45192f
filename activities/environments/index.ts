// The environments family's activities (docs/decisions/0019): an environment's namespace made or
// deleted through the cluster port, and its status recorded. Each is safe to retry: cluster
// objects are server-side applies or deletes that succeed when nothing is there, and records are
// written (and audited) only when they change, under the tenant lock.
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createEnvironmentActivities } from './namespace.ts';

export function createEnvironmentsActivities(deps: ActivityDeps) {
  return createEnvironmentActivities(deps);
}

export type EnvironmentActivities = ReturnType<typeof createEnvironmentsActivities>;

export default {
  // Each activity is a few cluster calls; deleting a namespace waits for it to finish.
  defaultActivitySlots: 5,
  createActivities: createEnvironmentsActivities,
} satisfies ActivityFamily;
