// Whether the tenant's plan has a feature, and which plan would bring it: what a page needs to
// disable what the API would refuse (403 `plan-feature-missing`) and say which plan unlocks it.
import type { TenantPlanOverview } from '../../../contracts/index.ts';
import type { ApiResult } from '../api/client.server.ts';

export interface FeatureGate {
  plan: string;
  enabled: boolean;
  /** The first plan that includes the feature (null: none, or the plan could not be read). */
  unlockedBy: string | null;
}

export function featureGate(plan: ApiResult<TenantPlanOverview>, feature: string): FeatureGate {
  // Unreadable plan (a role without plan access): let the API decide.
  if (!plan.ok) return { plan: 'unknown', enabled: true, unlockedBy: null };
  const has = (features: readonly string[]) => features.includes(feature);
  const current = plan.body.options.find((option) => option.plan === plan.body.plan);
  return {
    plan: plan.body.plan,
    enabled: current ? has(current.features) : true,
    unlockedBy: plan.body.options.find((option) => has(option.features))?.plan ?? null,
  };
}
