// Counts the operations the API starts, at the one place every start passes: the Temporal
// client. A start that fails (an ID already taken: "already started") is not counted.
// Completions and failures are counted where they happen, in the worker
// (workflows/shared/metrics-interceptor.ts).
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { operationLabels } from '../../workflows/shared/operation-labels.ts';
import type { ApiMetrics } from './registry.ts';

export function countOperationStarts(metrics: ApiMetrics): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      const output = await next(input);
      metrics.operationStarted(operationLabels(input.workflowType, input.options.args));
      return output;
    },
  };
}
