// What the webhook pages' forms send, read the same way in the browser (to show mistakes
// before any request) and in the page's action (never trusting that the browser did): the
// fields become the API's request bodies (contracts/webhooks.ts), checked with its schemas.
import type { Permission, Problem } from '../../../contracts/index.ts';
import { EVENT_CATALOGUE, SUBSCRIBABLE_EVENT_TYPES } from '../../../contracts/index.ts';
import type { ReplayWebhookEventsRequest } from '../../../contracts/index.ts';

function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

export interface EndpointFormValues {
  url: string;
  description: string;
  eventTypes: string[];
}

/** The create and edit forms: URL, description and the ticked event types (checked by the API's schemas). */
export function endpointValuesFromForm(form: FormData): EndpointFormValues {
  return {
    url: text(form, 'url'),
    description: text(form, 'description'),
    eventTypes: form.getAll('eventTypes').filter((value): value is string => typeof value === 'string'),
  };
}

/**
 * A time typed into a `datetime-local` field, read as UTC (the page says so), as the API's
 * ISO date-time; anything else is passed on as typed, for the API to name the field.
 */
export function utcDateTime(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)
    ? `${value.length === 16 ? `${value}:00` : value}Z`
    : value;
}

/** The time-range replay form. */
export function replayRangeFromForm(form: FormData): ReplayWebhookEventsRequest {
  return { from: utcDateTime(text(form, 'from')), to: utcDateTime(text(form, 'to')) };
}

/** A `datetime-local` value (UTC, to the minute) for a moment. */
export function dateTimeLocal(date: Date): string {
  return date.toISOString().slice(0, 16);
}

/** Field errors by the form's field name: `eventTypes.2` is the event types' field. */
export function fieldErrorsOf(errors: ReadonlyArray<{ path: PropertyKey[] | string; message: string }>) {
  const byField: Record<string, string> = {};
  for (const error of errors) {
    const path = typeof error.path === 'string' ? error.path.split('.') : error.path.map(String);
    byField[path[0] || 'form'] ??= error.message;
  }
  return byField;
}

export function problemFieldErrors(problem: Problem | null | undefined): Record<string, string> {
  return fieldErrorsOf(problem?.errors ?? []);
}

const GROUP_LABELS: Record<string, string> = {
  tenant: 'Tenant',
  member: 'Members',
  invitation: 'Invitations',
  api_key: 'API keys',
  sso: 'Single sign-on',
  billing: 'Billing',
};

export interface EventTypeGroup {
  label: string;
  types: Array<{ type: string; description: string }>;
}

/** The event types a member may subscribe to (their role's permissions), grouped by what they are about. */
export function eventTypeGroups(permissions: readonly Permission[]): EventTypeGroup[] {
  const groups = new Map<string, EventTypeGroup>();
  for (const type of SUBSCRIBABLE_EVENT_TYPES) {
    const entry = EVENT_CATALOGUE[type];
    if (!permissions.includes(entry.permission)) continue;
    const resource = type.split('.')[0]!;
    const group = groups.get(resource) ?? { label: GROUP_LABELS[resource] ?? resource, types: [] };
    group.types.push({ type, description: entry.description });
    groups.set(resource, group);
  }
  return [...groups.values()];
}
