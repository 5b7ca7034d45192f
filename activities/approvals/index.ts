// The approval primitive's activities (workflows/approvals/gate.ts calls them). Not a family
// of its own: every family whose workflows wait for approval spreads them into its own
// activities, so they run on that family's task queue, slots and pool.
import type { ActivityDeps } from '../shared/deps.ts';
import { createApprovalKeyActivities } from './keys.ts';
import { createApprovalRequestActivities } from './requests.ts';

/** The names of the approval activities: a worker that registers several families (the legacy queue) registers them once. */
export const SHARED_APPROVAL_ACTIVITY_NAMES = new Set<string>();

export function createApprovalActivities(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  const activities = {
    ...createApprovalKeyActivities(deps),
    ...createApprovalRequestActivities(deps),
  };
  for (const name of Object.keys(activities)) SHARED_APPROVAL_ACTIVITY_NAMES.add(name);
  return activities;
}
export type ApprovalActivities = ReturnType<typeof createApprovalActivities>;
