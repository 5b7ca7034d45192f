// Stuck activities: pending activities of Atrium's running workflows that have been retrying
// for longer than a threshold, read from Temporal (visibility, then describe() of each
// workflow), and the three things an operator-write may do about one: run the activity again
// now (ResetActivity: attempts from 1, scheduled at once), cancel the workflow (it cleans up as
// it was written to) or terminate it (at once, nothing more runs).
//
// Only Atrium's workflows are in scope: those on its families' task queues in its namespace.
// A workflow elsewhere is "not found", whatever the caller's role.
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import type { temporal } from '@temporalio/proto';
import type { StuckActivity } from '../../contracts/stuck-activities.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { OPERATION_KINDS } from '../../contracts/operations.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';

/** Running workflows one listing looks at, at most (visibility lists the most recently started first). */
export const STUCK_SCAN_LIMIT = 500;
/** describe() calls in flight at once. */
const DESCRIBE_CONCURRENCY = 8;
/** History pages (newest first) read to find when a retrying activity was first scheduled. */
const HISTORY_PAGES = 3;
const HISTORY_PAGE_SIZE = 100;

export interface StuckActivityScope {
  client: Client;
  namespace: string;
  taskQueuePrefix: string;
}

export interface StuckScan {
  items: Array<Omit<StuckActivity, 'tenantSlug'>>;
  scanned: number;
  truncated: boolean;
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

export function atriumTaskQueues(taskQueuePrefix: string): string[] {
  return WORKFLOW_FAMILIES.map((family) => familyTaskQueue(taskQueuePrefix, family));
}

/** Pending activities on attempt 2 or later, retrying since before `now - thresholdMs`. */
export async function findStuckActivities(
  scope: StuckActivityScope,
  thresholdMs: number,
  now = Date.now(),
): Promise<StuckScan> {
  const cutoff = now - thresholdMs;
  // A workflow started after the cutoff cannot have an activity retrying since before it.
  // Values are built here (queue names from settings, a date), never from the request.
  const queues = atriumTaskQueues(scope.taskQueuePrefix)
    .map((queue) => `"${queue}"`)
    .join(', ');
  const query = `ExecutionStatus = "Running" AND TaskQueue IN (${queues}) AND StartTime < "${new Date(cutoff).toISOString()}"`;
  const executions: WorkflowExecutionInfo[] = [];
  let truncated = false;
  for await (const execution of scope.client.workflow.list({ query, pageSize: 100 })) {
    if (executions.length === STUCK_SCAN_LIMIT) {
      truncated = true;
      break;
    }
    executions.push(execution);
  }
  const found = await mapConcurrently(executions, DESCRIBE_CONCURRENCY, (execution) =>
    stuckOf(scope, execution, cutoff),
  );
  const items = found.flat().sort((a, b) => (a.retryingSince ?? '').localeCompare(b.retryingSince ?? ''));
  return { items, scanned: executions.length, truncated };
}

async function stuckOf(
  scope: StuckActivityScope,
  execution: WorkflowExecutionInfo,
  cutoff: number,
): Promise<StuckScan['items']> {
  let description: WorkflowExecutionDescription;
  try {
    description = await scope.client.workflow.getHandle(execution.workflowId, execution.runId).describe();
  } catch (error) {
    // Ended and gone between the listing and now: nothing is stuck there.
    if (error instanceof WorkflowNotFoundError) return [];
    throw error;
  }
  if (description.status.name !== 'RUNNING') return [];
  const retrying = (description.raw.pendingActivities ?? []).filter((pending) => (pending.attempt ?? 0) > 1);
  const items: StuckScan['items'] = [];
  for (const pending of retrying) {
    const since = await firstScheduledAt(scope, description, pending.activityId ?? '');
    // Unknown start (history too long to read back): keep it if its last attempt is that old.
    const reference = since ?? lastAttemptMs(pending);
    if (reference === null || reference > cutoff) continue;
    items.push(toStuckActivity(description, pending, since));
  }
  return items;
}

export function toStuckActivity(
  description: WorkflowExecutionDescription,
  pending: PendingActivity,
  retryingSinceMs: number | null,
): StuckScan['items'][number] {
  const kind = description.typedSearchAttributes.get(OperationKindSearchAttribute) ?? null;
  const isOperation = kind !== null && (OPERATION_KINDS as readonly string[]).includes(kind);
  const iso = (ms: number | undefined | null) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    workflowType: description.type,
    tenantId: description.typedSearchAttributes.get(TenantIdSearchAttribute) ?? null,
    operationKind: kind,
    operationId: isOperation ? description.workflowId : null,
    activityId: pending.activityId ?? '',
    activityType: pending.activityType?.name ?? 'unknown',
    attempt: pending.attempt ?? 1,
    maximumAttempts: pending.maximumAttempts ? pending.maximumAttempts : null,
    retryingSince: iso(retryingSinceMs),
    lastFailure: pending.lastFailure?.message ?? null,
    lastAttemptAt: iso(lastAttemptMs(pending)),
    nextAttemptAt: iso(optionalTsToMs(pending.nextAttemptScheduleTime)),
    paused: pending.paused ?? false,
  };
}

/** A running attempt's start, else when the last one failed (a waiting activity has no start time). */
function lastAttemptMs(pending: PendingActivity): number | null {
  return optionalTsToMs(pending.lastStartedTime) ?? optionalTsToMs(pending.lastAttemptCompleteTime) ?? null;
}

/**
 * When the activity's first attempt was scheduled: its ActivityTaskScheduled event (retries
 * write no events, so it is the newest one for that activity id). Read newest first, a few
 * pages at most; null when it is further back than that.
 */
async function firstScheduledAt(
  scope: StuckActivityScope,
  description: WorkflowExecutionDescription,
  activityId: string,
): Promise<number | null> {
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const answer = await scope.client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: scope.namespace,
      execution: { workflowId: description.workflowId, runId: description.runId },
      maximumPageSize: HISTORY_PAGE_SIZE,
      nextPageToken,
    });
    for (const event of answer.history?.events ?? [])
      if (event.activityTaskScheduledEventAttributes?.activityId === activityId)
        return optionalTsToMs(event.eventTime) ?? null;
    if (!answer.nextPageToken?.length) return null;
    nextPageToken = answer.nextPageToken;
  }
  return null;
}

async function mapConcurrently<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
