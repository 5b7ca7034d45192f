// A schedule's state as a plain, JSON-ready object (no SDK types, no raw protobuf): what
// an API route or an operator tool shows — paused or not and why, when it runs next, what
// it started lately.
import type { Client } from '@temporalio/client';
import { onSchedule } from './errors.ts';

export interface ScheduleAction {
  /** The time the spec had it due (with jitter). */
  scheduledAt: string;
  /** When the server actually started it. */
  takenAt: string;
  workflowId: string;
  runId: string;
}

export interface ScheduleStatus {
  scheduleId: string;
  paused: boolean;
  /** Why it is paused (or the last note an operator or the server left). */
  note: string | null;
  workflowType: string;
  /** ISO timestamps of what the spec has due next; listed while paused too (paused ones are not taken). */
  nextActionTimes: string[];
  /** The most recent actions, oldest first (the server keeps a handful). */
  recentActions: ScheduleAction[];
  /** Workflows the schedule started that still run. */
  runningWorkflows: { workflowId: string; runId: string }[];
  actionsTaken: number;
  actionsSkippedForOverlap: number;
  actionsMissedCatchupWindow: number;
  createdAt: string;
  updatedAt: string | null;
}

export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleStatus> {
  const description = await onSchedule(scheduleId, client.options.namespace, () =>
    client.schedule.getHandle(scheduleId).describe(),
  );
  const { state, info, action } = description;
  return {
    scheduleId,
    paused: state.paused,
    note: state.note || null,
    workflowType: action.workflowType,
    nextActionTimes: info.nextActionTimes.map((time) => time.toISOString()),
    recentActions: info.recentActions.map(({ scheduledAt, takenAt, action: taken }) => ({
      scheduledAt: scheduledAt.toISOString(),
      takenAt: takenAt.toISOString(),
      workflowId: taken.workflow.workflowId,
      runId: taken.workflow.firstExecutionRunId,
    })),
    runningWorkflows: info.runningActions.map(({ workflow }) => ({
      workflowId: workflow.workflowId,
      runId: workflow.firstExecutionRunId,
    })),
    actionsTaken: info.numActionsTaken,
    actionsSkippedForOverlap: info.numActionsSkippedOverlap,
    actionsMissedCatchupWindow: info.numActionsMissedCatchupWindow,
    createdAt: info.createdAt.toISOString(),
    updatedAt: info.lastUpdatedAt?.toISOString() ?? null,
  };
}
