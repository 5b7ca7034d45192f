// The audit log page's time filter: the date pickers put UTC days in the URL
// (`from=2026-11-01&to=2026-11-30`, both days included); the API wants a range of
// date-times (from inclusive, to exclusive). The page and its export relay share this.

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day of the calendar (not 2026-02-31, which Date would roll over into March). */
function isRealDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return DAY.test(day) && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

/** The API's time range (from inclusive, to exclusive) for the days picked in the URL. */
export function apiTimeRange(from: string, to: string): { from?: string; to?: string } {
  const dayAfter = (day: string) => {
    const next = new Date(`${day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return next.toISOString().replace('.000Z', 'Z');
  };
  // Anything but a real day (2026-02-31, "yesterday", an ISO date-time) goes to the API as
  // it is: a date-time is used, anything else comes back as a 422 naming the field.
  return {
    ...(from ? { from: isRealDay(from) ? `${from}T00:00:00Z` : from } : {}),
    ...(to ? { to: isRealDay(to) ? dayAfter(to) : to } : {}),
  };
}

/** The day a picker starts on: the URL's day (or an ISO date-time's day), nothing for anything else. */
export function pickerDay(value: string): string | null {
  const day = value.slice(0, 10);
  return isRealDay(day) ? day : null;
}

/** The query string for the API: the URL's, with its days turned into the API's range. */
export function apiQueryOf(search: URLSearchParams): URLSearchParams {
  const query = new URLSearchParams(search);
  for (const name of ['from', 'to'] as const) query.delete(name);
  const range = apiTimeRange(search.get('from') ?? '', search.get('to') ?? '');
  for (const [name, value] of Object.entries(range)) query.set(name, value);
  return query;
}
