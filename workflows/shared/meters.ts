// The meters usage is counted on, as data (like the plans beside it): which a tenant reports
// itself through POST /api/v1/usage, and which Atrium counts for it. Pure data: the API, the
// portal and the workflows import it. Add a meter here and nowhere else.

export interface MeterDefinition {
  /** How people read it (the portal's charts). */
  label: string;
  /** The unit one event's quantity is in. */
  unit: string;
  /** `tenant`: reported by the tenant's API key; `atrium`: counted by Atrium itself. */
  source: 'tenant' | 'atrium';
}

export const METERS = {
  'compute.seconds': { label: 'Compute', unit: 'second', source: 'tenant' },
  'storage.gigabyte_hours': { label: 'Storage', unit: 'gigabyte-hour', source: 'tenant' },
  'messages.sent': { label: 'Messages sent', unit: 'message', source: 'tenant' },
  'api.requests': { label: 'API requests', unit: 'request', source: 'atrium' },
  'workflow.runs': { label: 'Workflow runs', unit: 'run', source: 'atrium' },
  'sync.records': { label: 'Synced records', unit: 'record', source: 'atrium' },
} as const satisfies Record<string, MeterDefinition>;

export type MeterName = keyof typeof METERS;
export const METER_NAMES = Object.keys(METERS) as MeterName[];
/** The meters a tenant may report (the others Atrium counts itself). */
export const REPORTABLE_METERS = METER_NAMES.filter((name) => METERS[name].source === 'tenant');

/**
 * How old and how far ahead an event's timestamp may be. 35 days is as far back as Stripe's
 * meters accept events, so older usage could never be billed; a few minutes ahead allows for
 * clocks that run fast.
 */
export const USAGE_MAX_AGE_MS = 35 * 86_400_000;
export const USAGE_MAX_AHEAD_MS = 5 * 60_000;
/** Events per POST: a batch stays well under the API's body limit. */
export const USAGE_MAX_BATCH = 500;
