// The API's view of an operation: one Temporal workflow execution, read through describe()
// and the getProgress query, shaped for clients (portal, CLI, SSE stream).
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type {
  Operation,
  OperationKind,
  OperationLinks,
  OperationStatus,
  OperationStep,
  OperationSummary,
} from '../../contracts/operations.ts';
import { OPERATION_KINDS } from '../../contracts/operations.ts';
import type { OperationProgress } from '../../workflows/shared/operation.contract.ts';
import {
  getProgressQuery,
  OperationKindSearchAttribute,
  TenantIdSearchAttribute,
} from '../../workflows/shared/operation.contract.ts';

export interface OperationViewOptions {
  client: Client;
  namespace: string;
  temporalUiUrl: string;
}

/** How long a progress query may wait for a worker to answer. */
const PROGRESS_QUERY_DEADLINE_MS = 2_000;

const STATUS: Record<string, OperationStatus> = {
  RUNNING: 'running',
  CONTINUED_AS_NEW: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

export function operationLinks(
  workflowId: string,
  runId: string,
  { namespace, temporalUiUrl }: OperationViewOptions,
): OperationLinks {
  const self = `/api/v1/operations/${encodeURIComponent(workflowId)}`;
  return {
    self,
    events: `${self}/events`,
    temporalUi: `${temporalUiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`,
  };
}

/** The summary a command answers with right after starting (or finding) its workflow. */
export function startedOperation(
  run: { workflowId: string; runId: string; kind: OperationKind; tenantId: string; status?: OperationStatus },
  options: OperationViewOptions,
): OperationSummary {
  return {
    id: run.workflowId,
    kind: run.kind,
    tenantId: run.tenantId,
    workflowId: run.workflowId,
    runId: run.runId,
    status: run.status ?? 'running',
    startedAt: new Date().toISOString(),
    closedAt: null,
    links: operationLinks(run.workflowId, run.runId, options),
  };
}

/** Summary of a listed or described execution; null when it is not an Atrium operation. */
export function toSummary(
  execution: WorkflowExecutionInfo | WorkflowExecutionDescription,
  options: OperationViewOptions,
): OperationSummary | null {
  const kind = execution.typedSearchAttributes.get(OperationKindSearchAttribute);
  if (!kind || !(OPERATION_KINDS as readonly string[]).includes(kind)) return null;
  return {
    id: execution.workflowId,
    kind: kind as OperationKind,
    tenantId: execution.typedSearchAttributes.get(TenantIdSearchAttribute) ?? null,
    workflowId: execution.workflowId,
    runId: execution.runId,
    status: STATUS[execution.status.name] ?? 'running',
    startedAt: execution.startTime.toISOString(),
    closedAt: execution.closeTime?.toISOString() ?? null,
    links: operationLinks(execution.workflowId, execution.runId, options),
  };
}

/** Reads one operation with its step-by-step progress; null when there is none. */
export async function readOperation(id: string, options: OperationViewOptions): Promise<Operation | null> {
  const handle = options.client.workflow.getHandle(id);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  const summary = toSummary(description, options);
  if (!summary) return null;

  const { progress, error } = await readProgress(summary, options.client);
  const steps: OperationStep[] = progress?.steps ?? [];
  annotateRetries(steps, description);
  return { ...summary, phase: progress?.phase ?? null, steps, error: error ?? progress?.error ?? null };
}

/**
 * Completed and failed operations carry their final progress in the result or failure
 * (readable without a worker); running ones answer the query.
 */
async function readProgress(
  summary: OperationSummary,
  client: Client,
): Promise<{ progress: OperationProgress | null; error: string | null }> {
  const handle = client.workflow.getHandle(summary.workflowId, summary.runId);
  if (summary.status === 'running') {
    try {
      // Without a worker the server would hold a query for its full timeout (30 s), stalling
      // pages and event streams; answer quickly with what describe() knows instead.
      const progress = await client.connection.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () =>
        handle.query(getProgressQuery),
      );
      return { progress, error: null };
    } catch {
      // No worker is polling right now; report what describe() knows.
      return { progress: null, error: null };
    }
  }
  try {
    const result: unknown = await handle.result();
    return { progress: (result as { progress?: OperationProgress }).progress ?? null, error: null };
  } catch (failure) {
    if (!(failure instanceof WorkflowFailedError)) return { progress: null, error: String(failure) };
    const cause = failure.cause;
    const progress =
      cause instanceof ApplicationFailure ? ((cause.details?.[0] as OperationProgress | undefined) ?? null) : null;
    return { progress, error: cause?.message ?? failure.message };
  }
}

/** Shows on the running step how often its activity has been tried and why it failed. */
function annotateRetries(steps: OperationStep[], description: WorkflowExecutionDescription): void {
  const pending = description.raw.pendingActivities?.[0];
  const running = steps.find((step) => step.status === 'running');
  if (!pending || !running) return;
  running.attempt = pending.attempt ?? null;
  const lastFailure = pending.lastFailure?.message;
  if (lastFailure && (pending.attempt ?? 0) > 1) running.error = `Retrying after: ${lastFailure}`;
}
