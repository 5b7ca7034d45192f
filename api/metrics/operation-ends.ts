// How many operations ended in a span of time, by how they ended, read from Temporal's
// visibility store: it sees every worker's workflows, where the worker's own counters
// (workflows/shared/metrics-interceptor.ts) are each worker's and only Prometheus adds them up.
// One CountWorkflowExecutions grouped by status per call. Operations are what the operations
// list shows (an OperationKind of the catalogue), on this deployment's family task queues (the
// stuck-activities scope): schedules' internal workflows and other deployments sharing the
// namespace are not counted. Workflows still finishing on the legacy queue are not either.
import type { Client } from '@temporalio/client';
import { OPERATION_KINDS } from '../../contracts/operations.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';

export interface OperationEnds {
  completed: number;
  /** Failed or timed out: the operation ended without doing its work. */
  failed: number;
  /** Cancelled or terminated: someone stopped it. */
  cancelled: number;
}

/** Counts operations closed in [from, to); rejects when Temporal does not answer in time. */
export type OperationEndsCounter = (from: Date, to: Date) => Promise<OperationEnds>;

/** Visibility's ExecutionStatus values of an end (ContinuedAsNew is not one), by what they count as. */
const OUTCOME_OF_STATUS: Record<string, keyof OperationEnds> = {
  Completed: 'completed',
  Failed: 'failed',
  TimedOut: 'failed',
  Canceled: 'cancelled',
  Terminated: 'cancelled',
};

export function temporalOperationEnds(options: {
  client: Client;
  taskQueuePrefix: string;
  timeoutMs: number;
}): OperationEndsCounter {
  // Values are built here (the catalogue, the configured prefix, dates), never from a request.
  const list = (values: readonly string[]) => values.map((value) => `"${value}"`).join(', ');
  const scope =
    `OperationKind IN (${list(OPERATION_KINDS)}) AND ` +
    `TaskQueue IN (${list(WORKFLOW_FAMILIES.map((family) => familyTaskQueue(options.taskQueuePrefix, family)))})`;
  const { client } = options;
  return async (from, to) => {
    const query =
      `${scope} AND CloseTime >= "${from.toISOString()}" AND CloseTime < "${to.toISOString()}" ` +
      `AND ExecutionStatus IN (${list(Object.keys(OUTCOME_OF_STATUS))}) GROUP BY ExecutionStatus`;
    const { groups } = await client.connection.withDeadline(Date.now() + options.timeoutMs, () =>
      client.workflow.count(query),
    );
    const ends: OperationEnds = { completed: 0, failed: 0, cancelled: 0 };
    for (const { groupValues, count } of groups) {
      // The SDK decodes each group value as a keyword list: [["Completed"]].
      const [value] = groupValues;
      const outcome = OUTCOME_OF_STATUS[String(Array.isArray(value) ? value[0] : value)];
      if (outcome) ends[outcome] += count;
    }
    return ends;
  };
}
