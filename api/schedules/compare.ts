// Which fields of a schedule on the server differ from its declaration. Pure: both sides
// arrive in canonical form (canonical-form.ts), so equal means equal as JSON.
import type { CanonicalSchedule, SchedulePart } from './canonical-form.ts';
import { canonicalJson } from './canonical-form.ts';

export interface ScheduleDifference {
  part: SchedulePart;
  /** The field within the part: `calendars` of `spec`, `overlap` of `policies`, `TenantId` of `searchAttributes`. */
  field: string;
}

export interface CompareOptions {
  /**
   * Whether the pause counts: only when the declaration enforces it. Otherwise a schedule
   * an operator paused (or resumed) is left as it is.
   */
  comparePaused: boolean;
}

const PARTS = ['spec', 'action', 'policies', 'searchAttributes', 'memo'] as const;

export function compareSchedules(
  declared: CanonicalSchedule,
  server: CanonicalSchedule,
  { comparePaused }: CompareOptions,
): ScheduleDifference[] {
  const differences: ScheduleDifference[] = [];
  for (const part of PARTS) {
    const want: Record<string, unknown> = declared[part];
    const have: Record<string, unknown> = server[part];
    const fields = new Set([...Object.keys(want), ...Object.keys(have)]);
    for (const field of fields) {
      if (canonicalJson(want[field]) !== canonicalJson(have[field])) differences.push({ part, field });
    }
  }
  if (comparePaused && declared.state.paused !== server.state.paused)
    differences.push({ part: 'state', field: 'paused' });
  return differences;
}

/** Differences an update can put right: Temporal has no way to change a schedule's memo. */
export function updatable(differences: ScheduleDifference[]): ScheduleDifference[] {
  return differences.filter(({ part }) => part !== 'memo');
}
