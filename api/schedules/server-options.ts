// A resolved declaration in the shapes @temporalio/client's ScheduleClient takes: the
// options to create the schedule and those to update it. The update keeps the pause and
// note the schedule has on the server (an operator's pause survives a redeploy) unless the
// declaration enforces its own.
import type { ScheduleDescription, ScheduleOptions, ScheduleUpdateOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  ConnectionIdSearchAttribute,
  OperationKindSearchAttribute,
  TenantIdSearchAttribute,
} from '../../workflows/shared/operation.contract.ts';
import type { DesiredSchedule } from './declaration.ts';

export function createOptions(desired: DesiredSchedule): ScheduleOptions {
  return {
    scheduleId: desired.scheduleId,
    ...definition(desired),
    memo: desired.memo,
    state: { paused: desired.state.paused, note: desired.state.note ?? undefined },
  };
}

export function updateOptions(desired: DesiredSchedule, previous: ScheduleDescription): ScheduleUpdateOptions {
  // UpdateSchedule replaces the whole state, so what is not declared is carried over.
  const state = desired.state.enforcePaused
    ? { paused: desired.state.paused, note: desired.state.note ?? previous.state.note }
    : { paused: previous.state.paused, note: previous.state.note };
  return {
    ...definition(desired),
    state: { ...state, remainingActions: previous.state.remainingActions },
  };
}

/** What create and update share: spec, action, policies and the schedule's search attributes. */
function definition(desired: DesiredSchedule) {
  const { spec, action, policies } = desired;
  const searchAttributes = searchAttributePairs(desired);
  return {
    spec: {
      cronExpressions: spec.cronExpressions,
      intervals: spec.intervals.map(({ everyMs, offsetMs }) => ({ every: everyMs, offset: offsetMs })),
      jitter: spec.jitterMs,
      timezone: spec.timezone,
      startAt: spec.startAt ?? undefined,
      endAt: spec.endAt ?? undefined,
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: action.workflowType,
      taskQueue: action.taskQueue,
      workflowId: action.workflowId,
      args: action.args,
      typedSearchAttributes: searchAttributes,
      workflowExecutionTimeout: action.workflowExecutionTimeoutMs ?? undefined,
      workflowRunTimeout: action.workflowRunTimeoutMs ?? undefined,
    },
    policies: {
      overlap: policies.overlap,
      catchupWindow: policies.catchupWindowMs,
      pauseOnFailure: policies.pauseOnFailure,
    },
    typedSearchAttributes: searchAttributes,
  };
}

function searchAttributePairs({ action }: DesiredSchedule): SearchAttributePair[] {
  const { TenantId, OperationKind, ConnectionId } = action.searchAttributes;
  return [
    ...(TenantId === undefined ? [] : [{ key: TenantIdSearchAttribute, value: TenantId }]),
    { key: OperationKindSearchAttribute, value: OperationKind },
    ...(ConnectionId === undefined ? [] : [{ key: ConnectionIdSearchAttribute, value: ConnectionId }]),
  ];
}
