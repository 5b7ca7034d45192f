// The worker registry: which Temporal workers this process runs. One per workflow family of
// the catalogue, each polling its own task queue with its own activity slots and its own
// database pool (slots + 1), so one family's slow or rate-limited work never takes another
// family's slots or connections; plus, while needed, one on the pre-family queue.
import { SHARED_APPROVAL_ACTIVITY_NAMES } from '../activities/approvals/index.ts';
import type { ActivityFamily, ActivityFunction } from '../activities/shared/deps.ts';
import type { WorkflowFamily } from '../workflows/catalogue.ts';
import { WORKFLOW_FAMILIES } from '../workflows/catalogue.ts';
import { familyTaskQueue } from '../workflows/shared/task-queues.ts';
import type { ActivityDeps } from '../activities/shared/deps.ts';

export interface WorkerPlan {
  /** The family, or `legacy` for the pre-family queue. */
  name: WorkflowFamily | 'legacy';
  taskQueue: string;
  /** Whose activities it registers (the legacy queue: every family's, as before). */
  families: readonly WorkflowFamily[];
  activitySlots: number;
  /**
   * One connection per activity slot, and one more: an activity holds its transaction's
   * connection (under the tenant lock) while the local secret store or local billing takes a
   * second one from the same pool. With fewer, a burst (all holding one, all waiting for a
   * second) deadlocks the pool.
   */
  poolSize: number;
}

/** activities/<family>/index.ts's default export: found by the family's name, so no list to keep. */
export async function loadActivityFamily(family: WorkflowFamily): Promise<ActivityFamily> {
  const module = (await import(`../activities/${family}/index.ts`)) as { default?: ActivityFamily };
  if (!module.default?.createActivities)
    throw new Error(`activities/${family}/index.ts must export default { defaultActivitySlots, createActivities }.`);
  return module.default;
}

export async function planWorkers(options: {
  taskQueuePrefix: string;
  families: readonly WorkflowFamily[];
  activitySlots: Partial<Record<WorkflowFamily, number>>;
  legacy: { taskQueue: string; activitySlots: number } | null;
}): Promise<WorkerPlan[]> {
  const plans: WorkerPlan[] = [];
  for (const family of options.families) {
    const slots = options.activitySlots[family] ?? (await loadActivityFamily(family)).defaultActivitySlots;
    plans.push({
      name: family,
      taskQueue: familyTaskQueue(options.taskQueuePrefix, family),
      families: [family],
      activitySlots: slots,
      poolSize: slots + 1,
    });
  }
  if (options.legacy)
    plans.push({
      name: 'legacy',
      taskQueue: options.legacy.taskQueue,
      families: WORKFLOW_FAMILIES,
      activitySlots: options.legacy.activitySlots,
      poolSize: options.legacy.activitySlots + 1,
    });
  return plans;
}

/** The activities a plan registers, built from its own dependencies (its own pool). */
export async function activitiesFor(plan: WorkerPlan, deps: ActivityDeps): Promise<Record<string, ActivityFunction>> {
  const activities: Record<string, ActivityFunction> = {};
  for (const family of plan.families) {
    for (const [name, fn] of Object.entries((await loadActivityFamily(family)).createActivities(deps))) {
      if (name in activities) {
        // The approval primitive's activities are spread into every family that waits for
        // approval (activities/approvals/index.ts): one registration serves them all.
        if (SHARED_APPROVAL_ACTIVITY_NAMES.has(name)) continue;
        throw new Error(`Activity ${name} is defined by two families; rename one.`);
      }
      activities[name] = fn;
    }
  }
  return activities;
}
