// Whether a tenant's usage fits a plan, and what it would have to remove when it does not.
// Pure, so the API (refusing a downgrade at once, showing it in the portal) and the plan-change
// workflow's check (run again when a scheduled downgrade falls due) give the same answer.
import type { PlanBlocker, PlanLimitName, PlanUsage } from '../../contracts/plans.ts';
import { PLAN_LIMIT_LABELS, PLAN_LIMIT_NAMES } from '../../contracts/plans.ts';
import type { PlanName } from './plans.ts';
import { PLAN_NAMES, planDefinition } from './plans.ts';

/** What the tenant must remove before `plan` fits; empty when it fits. */
export function planBlockers(usage: PlanUsage, plan: PlanName): PlanBlocker[] {
  const { limits } = planDefinition(plan);
  const blockers: PlanBlocker[] = [];
  for (const limit of PLAN_LIMIT_NAMES) {
    const allowed = limits[limit];
    const used = usage[limit];
    if (allowed === null || used <= allowed) continue;
    blockers.push({ limit, used, allowed, message: blockerMessage(limit, used, allowed, plan) });
  }
  return blockers;
}

function blockerMessage(limit: PlanLimitName, used: number, allowed: number, plan: PlanName): string {
  const excess = used - allowed;
  const label = PLAN_LIMIT_LABELS[limit];
  return `Remove ${excess} ${excess === 1 ? label.one : label.many} (${used} in use; the ${plan} plan allows ${allowed}).`;
}

/** Plans are ordered by what they give: free < team < enterprise. */
export function planDirection(from: PlanName, to: PlanName): 'upgrade' | 'downgrade' | 'current' {
  const rank = (plan: PlanName) => PLAN_NAMES.indexOf(plan);
  return rank(to) === rank(from) ? 'current' : rank(to) > rank(from) ? 'upgrade' : 'downgrade';
}
