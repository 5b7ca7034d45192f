// Makes the server's schedule match its declaration: creates it when missing, updates
// spec, action, policies and search attributes when they differ, leaves it alone when
// equal. Safe to run from every API process at boot: two processes creating the same
// schedule at once end with one schedule, and an operator's pause is kept.
import type { Client, ScheduleDescription } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { canonicalFromDeclaration, canonicalFromServer } from './canonical-form.ts';
import type { ScheduleDifference } from './compare.ts';
import { compareSchedules, updatable } from './compare.ts';
import type { DesiredSchedule, ScheduleDeclaration } from './declaration.ts';
import { resolveDeclaration } from './declaration.ts';
import { createOptions, updateOptions } from './server-options.ts';

export type EnsureScheduleResult = { scheduleId: string } & (
  | { outcome: 'created' }
  | { outcome: 'updated'; differences: ScheduleDifference[]; memoOutdated: boolean }
  | { outcome: 'unchanged'; memoOutdated: boolean }
);

/** Thrown from inside the updater to call the update off: nothing differs any more. */
class NothingToUpdate extends Error {}

/**
 * Throws InvalidScheduleDeclaration before touching the server when the declaration is
 * wrong; errors from the server (unreachable, a refused spec) pass through.
 */
export async function ensureSchedule(client: Client, declaration: ScheduleDeclaration): Promise<EnsureScheduleResult> {
  const desired = resolveDeclaration(declaration);
  // Missing → create; created by someone else meanwhile → compare with theirs. Twice is
  // enough: a schedule that vanishes again between the two is being deleted on purpose.
  for (let attempt = 1; ; attempt++) {
    const existing = await updateIfDifferent(client, desired);
    if (existing) return existing;
    try {
      await client.schedule.create(createOptions(desired));
      return { scheduleId: desired.scheduleId, outcome: 'created' };
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning) || attempt >= 2) throw error;
    }
  }
}

/** The outcome for an existing schedule, or null when there is none. */
async function updateIfDifferent(client: Client, desired: DesiredSchedule): Promise<EnsureScheduleResult | null> {
  const declared = canonicalFromDeclaration(desired);
  let differences: ScheduleDifference[] = [];
  try {
    // The comparison runs inside the updater, on the description the update is based on,
    // so the pause carried over is as fresh as the SDK allows (it sends no conflict token:
    // a pause made in the moment between its read and its write would be lost). Throwing
    // there calls the update off without sending anything.
    await client.schedule.getHandle(desired.scheduleId).update((previous: ScheduleDescription) => {
      differences = compareSchedules(declared, canonicalFromServer(previous), {
        comparePaused: desired.state.enforcePaused,
      });
      if (updatable(differences).length === 0) throw new NothingToUpdate();
      return updateOptions(desired, previous);
    });
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    if (!(error instanceof NothingToUpdate)) throw error;
  }
  const memoOutdated = differences.some(({ part }) => part === 'memo');
  const applied = updatable(differences);
  return applied.length === 0
    ? { scheduleId: desired.scheduleId, outcome: 'unchanged', memoOutdated }
    : { scheduleId: desired.scheduleId, outcome: 'updated', differences: applied, memoOutdated };
}
