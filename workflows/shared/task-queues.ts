// Task queue names. The API starts each workflow on its family's queue and the worker polls
// one queue per family (worker/registry.ts), so a family's slow or rate-limited work never
// takes another family's activity slots or database connections.
import type { WorkflowFamily } from '../catalogue.ts';

/** TEMPORAL_TASK_QUEUE's default: the prefix of every family's queue. Tests give each run its own. */
export const DEFAULT_TASK_QUEUE_PREFIX = 'atrium';

/** The queue of a family: `<prefix>-<family>` (`atrium-tenant-provisioning`). */
export function familyTaskQueue(prefix: string, family: WorkflowFamily): string {
  return `${prefix}-${family}`;
}

/**
 * Before there was a queue per family, every workflow ran on this one. Workflows started
 * there (approvals wait 7 days, offboarding grace periods longer) still finish on it: the
 * worker keeps polling it while any of them is open (worker/legacy-queue.ts).
 */
export const LEGACY_TASK_QUEUE = 'atrium-control-plane';
