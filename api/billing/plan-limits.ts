// The plan's counted limits, enforced where something is added (an API key, an invitation, a
// member, a connection). The answer when a limit is reached is 409 `plan-limit-reached`, naming
// the limit and the plan, with an `errors[]` entry on the field that asked for one more:
//
//   402  the subscription is not in good standing (not used yet: dunning suspends instead)
//   403  the plan lacks a feature (`plan-feature-missing`)
//   409  a limit is reached (`plan-limit-reached`), or a downgrade the tenant exceeds (`plan-exceeded`)
import type { EntityManager } from 'typeorm';
import type { PlanLimitName } from '../../contracts/plans.ts';
import { PLAN_LIMIT_LABELS } from '../../contracts/plans.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { PLAN_NAMES, planDefinition } from '../../workflows/shared/plans.ts';
import { ProblemError } from '../http/problem.ts';

/**
 * Serialises, until the transaction ends, the requests that could pass one tenant's limit at the
 * same moment: two requests for the last free place cannot both count it as free.
 */
export async function lockPlanLimit(db: EntityManager, tenantId: string, limit: PlanLimitName): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`atrium:plan-limit:${limit}:${tenantId}`]);
}

/** Refuses one more when `used` already fills the plan's limit (null: unlimited). */
export function refuseOverPlanLimit(
  plan: PlanName,
  limit: PlanLimitName,
  used: number,
  options: { path: string; counted?: string },
): void {
  const allowed = planDefinition(plan).limits[limit];
  if (allowed === null || used < allowed) return;
  const label = PLAN_LIMIT_LABELS[limit];
  throw new ProblemError(
    'planLimitReached',
    `The "${plan}" plan allows ${allowed} ${allowed === 1 ? label.one : label.many} (limit "${limit}"); ${used} ${options.counted ?? 'in use'}. Remove one or change the plan.`,
    { errors: [{ path: options.path, message: `${label.many} limit ${allowed} reached.` }] },
  );
}

/** The first plan (smallest first) whose features include `feature`; null when none does. */
export function planUnlocking(feature: string): PlanName | null {
  return PLAN_NAMES.find((plan) => planDefinition(plan).features.includes(feature)) ?? null;
}

/** Whether the plan includes `feature`. */
export function planIncludes(plan: string, feature: string): boolean {
  return planDefinition(plan).features.includes(feature);
}

/**
 * Refuses (403 `plan-feature-missing`) what the tenant's plan lacks the feature for, naming the
 * plan that unlocks it.
 */
export function requirePlanFeature(plan: string, feature: string, what: string): void {
  if (planIncludes(plan, feature)) return;
  const unlockedBy = planUnlocking(feature);
  throw new ProblemError(
    'planFeatureMissing',
    `The ${plan} plan does not include ${what} (the ${feature} feature)${unlockedBy ? `; the ${unlockedBy} plan does` : ''}.`,
  );
}
