// One shape for "what a schedule is", built from a declaration and from the server's
// description alike, so the two can be compared field by field. The server returns cron
// expressions compiled into calendar ranges, durations in milliseconds (or absent), month
// and weekday names, defaults it filled in; all of that is brought to plain values here.
import type { ScheduleDescription } from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { DAYS_OF_WEEK, MONTHS } from '@temporalio/client';
import type { CalendarValues, ValueRange } from './cron.ts';
import { expandRanges } from './cron.ts';
import type { DesiredSchedule } from './declaration.ts';

/** Parts of a schedule ensureSchedule compares (and, for all but memo, can update). */
export type SchedulePart = 'spec' | 'action' | 'policies' | 'searchAttributes' | 'state' | 'memo';

export interface CanonicalSchedule {
  spec: {
    /** Sorted, so the order calendars are listed in does not count as a change. */
    calendars: CalendarValues[];
    intervals: { everyMs: number; offsetMs: number }[];
    skip: CalendarValues[];
    jitterMs: number;
    timezone: string;
    startAt: string | null;
    endAt: string | null;
  };
  action: {
    workflowType: string;
    workflowId: string;
    taskQueue: string;
    args: unknown[];
    searchAttributes: Record<string, unknown>;
    memo: Record<string, unknown>;
    workflowExecutionTimeoutMs: number | null;
    workflowRunTimeoutMs: number | null;
    workflowTaskTimeoutMs: number | null;
    retry: unknown;
  };
  policies: { overlap: string; catchupWindowMs: number; pauseOnFailure: boolean };
  /** The schedule's own search attributes, so `temporal schedule list --query` finds it by tenant and kind. */
  searchAttributes: Record<string, unknown>;
  state: { paused: boolean };
  memo: Record<string, unknown>;
}

export function canonicalFromDeclaration(desired: DesiredSchedule): CanonicalSchedule {
  const { spec, action, policies } = desired;
  return {
    spec: {
      calendars: sortedByJson(spec.calendars),
      intervals: sortedByJson(spec.intervals),
      skip: [],
      jitterMs: spec.jitterMs,
      timezone: spec.timezone,
      startAt: spec.startAt?.toISOString() ?? null,
      endAt: spec.endAt?.toISOString() ?? null,
    },
    action: {
      workflowType: action.workflowType,
      workflowId: action.workflowId,
      taskQueue: action.taskQueue,
      args: action.args,
      searchAttributes: sortedKeys(action.searchAttributes),
      memo: {},
      workflowExecutionTimeoutMs: action.workflowExecutionTimeoutMs,
      workflowRunTimeoutMs: action.workflowRunTimeoutMs,
      workflowTaskTimeoutMs: null,
      retry: null,
    },
    policies: { ...policies },
    searchAttributes: sortedKeys(action.searchAttributes),
    state: { paused: desired.state.paused },
    memo: sortedKeys(desired.memo),
  };
}

export function canonicalFromServer(description: ScheduleDescription): CanonicalSchedule {
  const { spec, action, policies } = description;
  return {
    spec: {
      calendars: sortedByJson((spec.calendars ?? []).map(calendarValues)),
      intervals: sortedByJson(
        (spec.intervals ?? []).map(({ every, offset }) => ({ everyMs: every, offsetMs: offset ?? 0 })),
      ),
      skip: sortedByJson((spec.skip ?? []).map(calendarValues)),
      jitterMs: spec.jitter ?? 0,
      // The server keeps "" for "not given", which it reads as UTC.
      timezone: spec.timezone || 'UTC',
      startAt: spec.startAt?.toISOString() ?? null,
      endAt: spec.endAt?.toISOString() ?? null,
    },
    action: {
      workflowType: action.workflowType,
      workflowId: action.workflowId ?? '',
      taskQueue: action.taskQueue,
      args: [...((action.args ?? []) as readonly unknown[])],
      searchAttributes: searchAttributeValues(action.typedSearchAttributes),
      memo: sortedKeys(action.memo ?? {}),
      workflowExecutionTimeoutMs: msOrNull(action.workflowExecutionTimeout),
      workflowRunTimeoutMs: msOrNull(action.workflowRunTimeout),
      workflowTaskTimeoutMs: msOrNull(action.workflowTaskTimeout),
      retry: action.retry ?? null,
    },
    policies: {
      overlap: policies.overlap ?? 'SKIP',
      catchupWindowMs: policies.catchupWindow,
      pauseOnFailure: policies.pauseOnFailure,
    },
    searchAttributes: searchAttributeValues(description.typedSearchAttributes),
    state: { paused: description.state.paused },
    memo: sortedKeys(description.memo ?? {}),
  };
}

type DescribedCalendar = NonNullable<ScheduleDescription['spec']['calendars']>[number];

/** A described calendar (ranges, names) as the values each field matches. */
function calendarValues(calendar: DescribedCalendar): CalendarValues {
  return {
    second: expandRanges(calendar.second),
    minute: expandRanges(calendar.minute),
    hour: expandRanges(calendar.hour),
    dayOfMonth: expandRanges(calendar.dayOfMonth),
    month: expandRanges(calendar.month.map((range) => numbered(range, (name) => MONTHS.indexOf(name) + 1))),
    dayOfWeek: expandRanges(calendar.dayOfWeek.map((range) => numbered(range, (name) => DAYS_OF_WEEK.indexOf(name)))),
    // No range at all is how the server says "every year".
    year: calendar.year.length === 0 ? '*' : expandRanges(calendar.year),
    comment: calendar.comment ?? '',
  };
}

function numbered<N extends string>(
  range: { start: N; end: N; step: number },
  toNumber: (name: N) => number,
): ValueRange {
  return { start: toNumber(range.start), end: toNumber(range.end), step: range.step };
}

/** Described search attributes (a TypedSearchAttributes, or pairs in the action's type) by name. */
function searchAttributeValues(
  attributes: TypedSearchAttributes | SearchAttributePair[] | undefined,
): Record<string, unknown> {
  const pairs = Array.isArray(attributes) ? attributes : (attributes?.getAll() ?? []);
  const values: Record<string, unknown> = {};
  for (const { key, value } of pairs) values[key.name] = value;
  return sortedKeys(values);
}

/** A timeout in ms, or null for none: `temporal schedule update` writes 0, which means none too. */
function msOrNull(value: unknown): number | null {
  return typeof value === 'number' && value > 0 ? value : null;
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sortedByJson<T>(items: T[]): T[] {
  return items
    .map((item) => [canonicalJson(item), item] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, item]) => item);
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return sortedKeys(inner as Record<string, unknown>);
  });
}
