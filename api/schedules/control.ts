// What an operator (or a feature: a connection switched off, a tenant offboarded) does to
// a schedule that exists: pause, resume, run now, run for a past period, delete. Each
// throws ScheduleNotFound, naming the id, when there is no such schedule.
import type { Client } from '@temporalio/client';
import type { OverlapPolicy } from './declaration.ts';
import { onSchedule, ScheduleNotFound } from './errors.ts';

/** Stops the schedule taking actions; `note` says why (shown in the Temporal UI). Kept across ensures. */
export async function pauseSchedule(client: Client, scheduleId: string, note: string): Promise<void> {
  await onSchedule(scheduleId, client.options.namespace, () => client.schedule.getHandle(scheduleId).pause(note));
}

export async function resumeSchedule(client: Client, scheduleId: string, note = 'Resumed'): Promise<void> {
  await onSchedule(scheduleId, client.options.namespace, () => client.schedule.getHandle(scheduleId).unpause(note));
}

export interface TriggerOptions {
  /** What to do if a run is still going. Default: the schedule's own overlap policy. */
  overlap?: OverlapPolicy;
}

/** Takes one action now, paused or not. */
export async function triggerSchedule(client: Client, scheduleId: string, options: TriggerOptions = {}): Promise<void> {
  await onSchedule(scheduleId, client.options.namespace, async () => {
    const handle = client.schedule.getHandle(scheduleId);
    // The SDK's own default is ALLOW_ALL, which would start a second run beside a running one.
    const overlap = options.overlap ?? (await handle.describe()).policies.overlap;
    await handle.trigger(overlap);
  });
}

export interface BackfillOptions {
  start: Date;
  end: Date;
  /** Default: the schedule's own overlap policy (so with SKIP, runs that overlap are dropped). */
  overlap?: OverlapPolicy;
}

/** Takes, now, the actions the spec had due between `start` and `end` (both included). */
export async function backfillSchedule(client: Client, scheduleId: string, options: BackfillOptions): Promise<void> {
  if (!(options.start.getTime() < options.end.getTime())) {
    throw new RangeError(
      `Backfill of schedule "${scheduleId}": start (${options.start.toISOString()}) must be before end (${options.end.toISOString()})`,
    );
  }
  await onSchedule(scheduleId, client.options.namespace, () =>
    client.schedule
      .getHandle(scheduleId)
      .backfill({ start: options.start, end: options.end, overlap: options.overlap }),
  );
}

/**
 * Deletes the schedule; workflows it started keep running. A schedule still in a declaration
 * list comes back at the next ensureSchedules: remove it from the list first.
 */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await onSchedule(scheduleId, client.options.namespace, () => client.schedule.getHandle(scheduleId).delete());
}

/** Deletes the schedule if there is one: already gone is what deleting wants (a retry, a policy turned off twice). */
export async function deleteScheduleIfPresent(client: Client, scheduleId: string): Promise<void> {
  await deleteSchedule(client, scheduleId).catch((error: unknown) => {
    if (!(error instanceof ScheduleNotFound)) throw error;
  });
}
