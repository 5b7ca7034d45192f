// Counts how every operation ends, per kind and plan, and how long it took, through the
// Temporal SDK's workflow metric meter: emitted by the worker's runtime (its Prometheus
// endpoint, WORKER_METRICS_PORT) and never during replay, so it adds nothing to histories and
// a replayed workflow is not counted twice. Bundled into every workflow (worker/workflow-bundle.ts):
// no family has to remember it. A continue-as-new is not an end, nor a workflow task failure.
import type {
  Next,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { TemporalFailure, isCancellation, metricMeter, workflowInfo } from '@temporalio/workflow';
import { OPERATION_DURATION_METRIC, operationLabels } from './operation-labels.ts';

type Outcome = 'completed' | 'failed' | 'cancelled';

function recordEnd(outcome: Outcome, labels: { kind: string; plan: string }, startedMs: number): void {
  metricMeter
    .createCounter(`atrium_operations_${outcome}`, undefined, `Operations ${outcome}, by kind and plan.`)
    .add(1, labels);
  metricMeter
    .createHistogram(
      OPERATION_DURATION_METRIC,
      'float',
      's',
      'Operation duration from start to end, by kind, plan and outcome.',
    )
    .record(Math.max(0, (Date.now() - startedMs) / 1000), { ...labels, outcome });
}

class OperationMetrics implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { workflowType, startTime } = workflowInfo();
    const labels = operationLabels(workflowType, input.args);
    try {
      const result = await next(input);
      recordEnd('completed', labels, startTime.getTime());
      return result;
    } catch (error) {
      if (isCancellation(error)) recordEnd('cancelled', labels, startTime.getTime());
      else if (error instanceof TemporalFailure) recordEnd('failed', labels, startTime.getTime());
      // Anything else (a continue-as-new, a bug) is no end: a bug fails the workflow task, which Temporal retries.
      throw error;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new OperationMetrics()] });
