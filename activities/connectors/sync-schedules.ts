// A connection's sync schedules follow its health: a connection that needs re-authorization
// pauses them (its tokens cannot be renewed, every run would fail), reconnecting resumes the ones
// no member paused, a disconnect deletes them. Each call is idempotent: pausing a paused
// schedule, resuming a running one or deleting a deleted one succeeds.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { SyncRow } from '../../db/repositories/connector-syncs.ts';

/** The note a health pause leaves on the schedule (the Temporal UI shows it). */
export const REAUTH_PAUSE_NOTE = 'Paused: the connection needs to be authorized again (resumes when reconnected).';

async function onEach(syncs: SyncRow[], call: (sync: SyncRow) => Promise<void>): Promise<void> {
  for (const sync of syncs) {
    try {
      await call(sync);
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
}

export function pauseSyncSchedules(client: Client, syncs: SyncRow[], note: string): Promise<void> {
  return onEach(syncs, (sync) => client.schedule.getHandle(sync.schedule_id).pause(note));
}

/** Resumes the schedules of syncs no member paused. */
export function resumeSyncSchedules(client: Client, syncs: SyncRow[], note: string): Promise<void> {
  return onEach(
    syncs.filter((sync) => !sync.paused),
    (sync) => client.schedule.getHandle(sync.schedule_id).unpause(note),
  );
}

export function deleteSyncSchedules(client: Client, syncs: SyncRow[]): Promise<void> {
  return onEach(syncs, (sync) => client.schedule.getHandle(sync.schedule_id).delete());
}
