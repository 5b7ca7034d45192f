// Counts each run of a tenant's workflow on the `workflow.runs` meter (workflows/shared/meters.ts)
// through a sink: the workflow hands the worker a note (tenant, workflow id, run id, kind) when
// its first workflow task starts, and the worker batches the notes into usage_events
// (worker/workflow-run-metering.ts). No I/O in the sandbox and no command in the history, so
// histories replay with or without it; a sink is not called during replay, and a first task
// that runs again (a task failure, a worker killed before it completed) hands the same note,
// whose event id — derived from the run — the table keeps once.
//
// A run counts when it starts, whatever its end, and a chain continued as new (a long-lived
// workflow's next run) counts once: it is one operation. Workflows with no TenantId search
// attribute (platform operations) are no tenant's usage. Bundled into every workflow
// (worker/workflow-bundle.ts): no family has to remember it.
import type { Sinks, WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { proxySinks, workflowInfo } from '@temporalio/workflow';
import { TenantIdSearchAttribute } from './operation.contract.ts';
import { operationLabels } from './operation-labels.ts';

export interface WorkflowRunNote {
  tenantId: string;
  workflowId: string;
  runId: string;
  /** The catalogue kind of its workflow type (`other` for one the catalogue does not list). */
  kind: string;
  /** When the run started (ISO): the event's time. */
  startedAt: string;
}

export interface RunMeteringSinks extends Sinks {
  runMetering: { workflowRunStarted(note: WorkflowRunNote): void };
}

/** The usage event id of a run: unique per run, so a repeated note is stored once. */
export function workflowRunEventId(runId: string): string {
  return `workflow.run:${runId}`;
}

const { runMetering } = proxySinks<RunMeteringSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const info = workflowInfo();
        const tenantId = info.typedSearchAttributes.get(TenantIdSearchAttribute);
        if (tenantId && !info.continuedFromExecutionRunId)
          runMetering.workflowRunStarted({
            tenantId,
            workflowId: info.workflowId,
            runId: info.runId,
            kind: operationLabels(info.workflowType, input.args).kind,
            startedAt: info.runStartTime.toISOString(),
          });
        return next(input);
      },
    },
  ],
});
