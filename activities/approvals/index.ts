// The approval primitive's activities (workflows/approvals/gate.ts calls them). Not a family
// of its own: every family whose workflows wait for approval spreads them into its own
// activities, so they run on that family's task queue, slots and pool.
import type { ActivityDeps } from '../shared/deps.ts';
import { createApprovalKeyActivities } from './keys.ts';
import { createApprovalRequestActivities } from './requests.ts';

export function createApprovalActivities(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  return {
    ...createApprovalKeyActivities(deps),
    ...createApprovalRequestActivities(deps),
  };
}
export type ApprovalActivities = ReturnType<typeof createApprovalActivities>;
