// Reads a cron expression into the set of values each calendar field matches. The Temporal
// server stores cron expressions only in compiled form (a "structured calendar" of ranges),
// so a declaration's cron can be compared with what the server describes only after both
// are brought to the same shape: this mirrors the server's parser (temporal server v1.29,
// service/worker/scheduler/calendar.go: parseCronString, makeRange, parseValue) and then
// expands ranges into values, so `*/15`, `0,15,30,45` and `0-59/15` all compare equal.
// Where the server's reading is odd it is copied, not corrected: a copy that "knew better"
// would never compare equal and ensureSchedule would update the schedule on every boot.
//
// Narrower than the server on purpose, so that each thing has one way to be said:
// `TZ=`/`CRON_TZ=` prefixes (use the declaration's `timezone`), `@every` (use `intervals`)
// and 7 written as Sunday (use 0 or SUN: the server reads `1-7` as Monday–Saturday) are refused.

/** The values of one calendar field that match; `'*'` for a year means every year. */
export interface CalendarValues {
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  /** 1 = January. */
  month: number[];
  /** 0 = Sunday. */
  dayOfWeek: number[];
  /** The server keeps no range for "every year", so it is a marker rather than a list. */
  year: number[] | '*';
  comment: string;
}

export type CalendarField = Exclude<keyof CalendarValues, 'comment'>;

/** A range as the server stores it: `end` < `start` means `start` alone; `step` < 1 means 1. */
export interface ValueRange {
  start: number;
  end: number;
  step: number;
}

export class CronSyntaxError extends Error {
  readonly expression: string;
  constructor(expression: string, problem: string) {
    super(`cron expression "${expression}": ${problem}`);
    this.name = 'CronSyntaxError';
    this.expression = expression;
  }
}

type ParseMode = 'int' | 'year' | 'month' | 'dayOfWeek';

interface FieldRule {
  /** What the server uses when the field is left out (seconds and year in 5-field cron). */
  fallback: string;
  min: number;
  max: number;
  mode: ParseMode;
}

const FIELD_RULES: Record<CalendarField, FieldRule> = {
  second: { fallback: '0', min: 0, max: 59, mode: 'int' },
  minute: { fallback: '0', min: 0, max: 59, mode: 'int' },
  hour: { fallback: '0', min: 0, max: 23, mode: 'int' },
  dayOfMonth: { fallback: '*', min: 1, max: 31, mode: 'int' },
  month: { fallback: '*', min: 1, max: 12, mode: 'month' },
  // 7 is where `*` and `x/y` end, as on the server; written out it is refused (parseValue).
  dayOfWeek: { fallback: '*', min: 0, max: 7, mode: 'dayOfWeek' },
  // minCalendarYear / maxCalendarYear of the server.
  year: { fallback: '*', min: 2000, max: 2100, mode: 'year' },
};

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Field order of 5-, 6- and 7-field expressions, as the server reads them. */
const FIELD_ORDER: Record<number, CalendarField[]> = {
  5: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'],
  6: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
  7: ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
};

/** Parses one cron expression, or throws a CronSyntaxError saying what to change. */
export function parseCronExpression(expression: string): CalendarValues {
  const fail = (problem: string): never => {
    throw new CronSyntaxError(expression, problem);
  };
  let text = expression.trim();
  if (/^(CRON_)?TZ=/.test(text)) fail('put the time zone in the declaration\'s "timezone", not in the expression');

  const hash = text.indexOf('#');
  const comment = hash >= 0 ? text.slice(hash + 1).trim() : '';
  if (hash >= 0) text = text.slice(0, hash).trim();

  if (text.startsWith('@every')) fail('declare intervals in "intervals" ({ every, offset }), not as @every');
  if (text.startsWith('@'))
    text = SHORTHANDS[text] ?? fail(`unknown shorthand; use one of ${Object.keys(SHORTHANDS).join(', ')}`);

  const tokens = text.split(/\s+/).filter((token) => token !== '');
  const order = FIELD_ORDER[tokens.length] ?? fail(`has ${tokens.length} fields; write 5, 6 or 7`);
  const given = new Map(order.map((field, index) => [field, tokens[index] as string]));

  const values = {} as Record<CalendarField, number[] | '*'>;
  for (const field of Object.keys(FIELD_RULES) as CalendarField[]) {
    const rule = FIELD_RULES[field];
    try {
      const ranges = parseField(given.get(field) ?? rule.fallback, rule);
      values[field] = ranges === 'every-year' ? '*' : expandRanges(ranges);
    } catch (error) {
      fail(`${field}: ${(error as Error).message}`);
    }
  }
  return {
    second: values.second as number[],
    minute: values.minute as number[],
    hour: values.hour as number[],
    dayOfMonth: values.dayOfMonth as number[],
    month: values.month as number[],
    dayOfWeek: values.dayOfWeek as number[],
    year: values.year,
    comment,
  };
}

/**
 * The values a list of ranges matches, sorted, each once. Reads ranges the way the server
 * evaluates them (an `end` before `start` is `start` alone, a `step` below 1 is 1).
 */
export function expandRanges(ranges: readonly ValueRange[]): number[] {
  const values = new Set<number>();
  for (const { start, end, step } of ranges) {
    const last = Math.max(start, end);
    const by = step >= 1 ? step : 1;
    for (let value = start; value <= last; value += by) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** One field: `*`, `x`, `x-z`, `x-z/y`, `x/y`, `*\/y`, comma-separated. Mirrors makeRange. */
function parseField(text: string, rule: FieldRule): ValueRange[] | 'every-year' {
  if (text === '*' && rule.mode === 'year') return 'every-year';
  const ranges: ValueRange[] = [];
  for (const raw of text.split(',')) {
    let part = raw;
    let step = 1;
    let hasStep = false;
    const slashes = part.split('/').length - 1;
    if (slashes > 1) throw new Error(`"${raw}" has more than one "/"`);
    if (slashes === 1) {
      const [before, after] = part.split('/') as [string, string];
      if (!/^\d+$/.test(after) || Number(after) < 1)
        throw new Error(`"${raw}" needs a whole step of 1 or more after "/"`);
      part = before;
      step = Number(after);
      hasStep = true;
    }
    let start = rule.min;
    let end = rule.max;
    if (part !== '*') {
      if (part.includes('-')) {
        const pieces = part.split('-');
        if (pieces.length !== 2) throw new Error(`"${raw}" has more than one "-"`);
        start = parseValue(pieces[0] as string, rule.min, rule.max, rule.mode);
        end = parseValue(pieces[1] as string, start, rule.max, rule.mode, `is before ${pieces[0]} or `);
      } else {
        start = parseValue(part, rule.min, rule.max, rule.mode);
        // With a step, a single value runs to the end of the field ("5/15" = 5,20,35,50).
        if (!hasStep) end = start;
      }
    }
    // The server's Sunday rule: a range reaching 7 stops at 6 and, when it would have hit 7
    // (and does not start at 0 or 1 with step 1, where the server assumes 0 is covered),
    // gains a separate 0. So `1/2` is 0,1,3,5 and `*` is 0–6.
    if (rule.mode === 'dayOfWeek' && end === 7) {
      if ((7 - start) % step === 0 && (step > 1 || start > 1)) ranges.push({ start: 0, end: 0, step: 1 });
      end = 6;
    }
    ranges.push({ start, end, step });
  }
  return ranges;
}

function parseValue(text: string, min: number, max: number, mode: ParseMode, orBefore = ''): number {
  const names = mode === 'month' ? MONTH_NAMES : mode === 'dayOfWeek' ? DAY_NAMES : null;
  // Month names need 3 letters, day names 2; a prefix of the full name is enough ("Sept", "thurs").
  const shortest = mode === 'month' ? 3 : 2;
  let value: number | undefined;
  if (names && text.length >= shortest) {
    const index = names.findIndex((name) => name.startsWith(text.toLowerCase()));
    if (index >= 0) value = mode === 'month' ? index + 1 : index;
  }
  if (value === undefined) {
    if (!/^\d+$/.test(text)) {
      const hint = names ? ` (a number or a name such as ${mode === 'month' ? 'JAN' : 'MON'})` : '';
      throw new Error(`"${text}" is not a value${hint}`);
    }
    value = Number(text);
    if (mode === 'dayOfWeek' && value === 7) throw new Error('"7" is not a day here; write 0 or SUN for Sunday');
  }
  if (value < min || value > max) {
    const range = mode === 'dayOfWeek' ? `${min}–6` : `${min}–${max}`;
    throw new Error(`"${text}" ${orBefore}is not in ${range}`);
  }
  return value;
}
