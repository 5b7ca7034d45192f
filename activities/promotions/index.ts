// The promotions family's activities (docs/decisions/0023): a promotion checked and recorded,
// the release's Deployment applied (or the previous one put back) and its rollout read through
// the cluster port, and the approval primitive's activities (workflows/approvals/) for the
// environments whose policy asks for an approval. Each is safe to retry.
import { createApprovalActivities } from '../approvals/index.ts';
import type { ActivityDeps, ActivityFamily } from '../shared/deps.ts';
import { createPromotionActivities } from './promotion.ts';

export function createPromotionsActivities(deps: ActivityDeps) {
  return { ...createPromotionActivities(deps), ...createApprovalActivities(deps) };
}

export type PromotionActivities = ReturnType<typeof createPromotionsActivities>;

export default {
  // Each activity is a database transaction or one cluster call; rollouts are watched on timers.
  defaultActivitySlots: 5,
  createActivities: createPromotionsActivities,
} satisfies ActivityFamily;
