// The one shape in which Atrium declares a Temporal Schedule (connector syncs, secret
// rotation, metering reconciliation, token refresh…), and its checked form with every
// default filled in. Declarations are code, not configuration: a mistake in one is a bug,
// so resolving refuses it with every problem listed instead of letting the server guess.
import { z } from 'zod';
import { duration } from '../../config/env.ts';
import type { OperationKind } from '../../workflows/shared/operation.contract.ts';
import type { CalendarValues } from './cron.ts';
import { CronSyntaxError, parseCronExpression } from './cron.ts';
import { InvalidScheduleDeclaration } from './errors.ts';

/** Milliseconds, or a duration such as `30s`, `15m`, `1h`, `7d` (the format configuration uses). */
export type ScheduleDuration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;
/** What happens when an action is due while the previous one still runs (Temporal's ScheduleOverlapPolicy). */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface ScheduleDeclaration {
  /** Stable and readable, like workflow IDs: `connector-sync/<tenant>/<connection>`. */
  scheduleId: string;
  /** When actions are due: the union of the cron expressions and the intervals. */
  spec: {
    /** 5 to 7 fields (`[second] minute hour day-of-month month day-of-week [year]`), `@daily`…; `# comment` allowed. */
    cronExpressions?: string[];
    /** Every `every` since the Unix epoch, shifted by `offset`; whole seconds. */
    intervals?: { every: ScheduleDuration; offset?: ScheduleDuration }[];
    /** Each action is delayed by a random amount up to this (spreads many tenants' syncs). */
    jitter?: ScheduleDuration;
    /** IANA name the cron expressions are read in. Default UTC. */
    timezone?: string;
    startAt?: Date;
    endAt?: Date;
  };
  /** The workflow each action starts. */
  action: {
    workflowType: string;
    taskQueue: string;
    /** Prefix of the started workflows' IDs: the server appends the scheduled time to each. */
    workflowId: string;
    /** JSON values only: they are stored in the schedule and compared as JSON. Never secrets. */
    args: unknown[];
    /** The `TenantId` search attribute; leave out for platform-wide schedules. */
    tenantId?: string;
    /** The `OperationKind` search attribute. */
    operationKind: OperationKind;
    /** The `ConnectionId` search attribute, for a connection's schedules (its syncs). */
    connectionId?: string;
    workflowExecutionTimeout?: ScheduleDuration;
    workflowRunTimeout?: ScheduleDuration;
  };
  policies?: {
    /** Default SKIP: a run still going means the due one is dropped. */
    overlap?: OverlapPolicy;
    /** How late a missed action (server down) may still start. Default 365d, as the server's; at least 10s. */
    catchupWindow?: ScheduleDuration;
    /** Pause the schedule when a started workflow fails. Default false. */
    pauseOnFailure?: boolean;
  };
  /** Shown in the Temporal UI. Temporal cannot change a schedule's memo later: it is set at creation only. */
  memo?: Record<string, string>;
  state?: {
    /** Paused when created. An existing schedule keeps the pause an operator gave it, unless `enforcePaused`. */
    paused?: boolean;
    /** The schedule's note when created (or when `enforcePaused` changes its pause). */
    note?: string;
    /** Make an existing schedule's pause match `paused` on every ensure (e.g. a connection switched off). */
    enforcePaused?: boolean;
  };
}

/** A declaration checked, with defaults filled in and durations in milliseconds. */
export interface DesiredSchedule {
  scheduleId: string;
  spec: {
    cronExpressions: string[];
    /** The cron expressions as the server will store them (for comparing). */
    calendars: CalendarValues[];
    intervals: { everyMs: number; offsetMs: number }[];
    jitterMs: number;
    timezone: string;
    startAt: Date | null;
    endAt: Date | null;
  };
  action: {
    workflowType: string;
    taskQueue: string;
    workflowId: string;
    /** As they come back from the server: through JSON. */
    args: unknown[];
    searchAttributes: { TenantId?: string; OperationKind: string; ConnectionId?: string };
    workflowExecutionTimeoutMs: number | null;
    workflowRunTimeoutMs: number | null;
  };
  policies: { overlap: OverlapPolicy; catchupWindowMs: number; pauseOnFailure: boolean };
  memo: Record<string, string>;
  state: { paused: boolean; note: string | null; enforcePaused: boolean };
}

export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;
/** The server raises shorter windows to this, which would then never compare equal. */
const MIN_CATCHUP_WINDOW_MS = 10_000;

const durationMs = z.union([z.number().int().nonnegative(), duration]);
const wholeSeconds = (ms: number) => ms % 1_000 === 0;

const identifier = z
  .string()
  .regex(/^\S+$/, 'must not be empty or contain spaces')
  .max(200, 'must be at most 200 characters');

/** The server needs an interval of a second or more, with an offset below it; it counts whole seconds. */
function checkInterval({ every, offset }: { every: number; offset: number }, context: z.RefinementCtx): void {
  const problem = (path: 'every' | 'offset', message: string) =>
    context.addIssue({ code: 'custom', path: [path], message });
  if (every < 1_000) problem('every', 'must be at least 1s');
  else if (!wholeSeconds(every)) problem('every', 'must be whole seconds');
  if (!wholeSeconds(offset)) problem('offset', 'must be whole seconds');
  else if (every >= 1_000 && offset >= every) problem('offset', 'must be less than every');
}

const DeclarationSchema = z.strictObject({
  scheduleId: identifier,
  spec: z
    .strictObject({
      cronExpressions: z.array(z.string()).default([]),
      intervals: z
        .array(z.strictObject({ every: durationMs, offset: durationMs.default(0) }).superRefine(checkInterval))
        .default([]),
      jitter: durationMs.default(0),
      timezone: z
        .string()
        .refine(isKnownTimeZone, 'must be an IANA time zone name such as Europe/Paris')
        .default('UTC'),
      startAt: z.date().optional(),
      endAt: z.date().optional(),
    })
    .refine(({ cronExpressions, intervals }) => cronExpressions.length + intervals.length > 0, {
      message: 'needs at least one cron expression or interval (a schedule that is never due is a mistake)',
    })
    .refine(({ startAt, endAt }) => !startAt || !endAt || startAt < endAt, {
      message: 'startAt must be before endAt',
      path: ['endAt'],
    }),
  action: z.strictObject({
    workflowType: identifier,
    taskQueue: identifier,
    workflowId: identifier,
    args: z.array(z.unknown()),
    tenantId: z.string().min(1, 'must not be empty (leave it out for a platform-wide schedule)').optional(),
    operationKind: z.string().min(1, 'must not be empty'),
    connectionId: z.string().min(1, 'must not be empty (leave it out for a schedule of no connection)').optional(),
    workflowExecutionTimeout: durationMs.optional(),
    workflowRunTimeout: durationMs.optional(),
  }),
  policies: z
    .strictObject({
      overlap: z.enum(OVERLAP_POLICIES).default('SKIP'),
      catchupWindow: durationMs
        .default(DEFAULT_CATCHUP_WINDOW_MS)
        .refine((ms) => ms >= MIN_CATCHUP_WINDOW_MS, 'must be at least 10s (the server raises shorter windows)'),
      pauseOnFailure: z.boolean().default(false),
    })
    .prefault({}),
  memo: z.record(z.string(), z.string()).default({}),
  state: z
    .strictObject({
      paused: z.boolean().default(false),
      note: z.string().optional(),
      enforcePaused: z.boolean().default(false),
    })
    .prefault({}),
});

/** Checks a declaration and fills in its defaults, or throws InvalidScheduleDeclaration listing every problem. */
export function resolveDeclaration(declaration: ScheduleDeclaration): DesiredSchedule {
  const id = typeof declaration?.scheduleId === 'string' ? declaration.scheduleId : '(no scheduleId)';
  const parsed = DeclarationSchema.safeParse(declaration);
  if (!parsed.success) {
    throw new InvalidScheduleDeclaration(
      id,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(declaration)'}: ${issue.message}`),
    );
  }
  const { spec, action, policies, memo, state } = parsed.data;
  const problems: string[] = [];
  const calendars: CalendarValues[] = [];
  spec.cronExpressions.forEach((expression, index) => {
    try {
      calendars.push(parseCronExpression(expression));
    } catch (error) {
      if (!(error instanceof CronSyntaxError)) throw error;
      problems.push(`spec.cronExpressions.${index}: ${error.message}`);
    }
  });
  let args: unknown[] = [];
  try {
    args = asJson(action.args) as unknown[];
  } catch (error) {
    problems.push(`action.args: must be JSON values (${(error as Error).message})`);
  }
  if (problems.length > 0) throw new InvalidScheduleDeclaration(id, problems);

  return {
    scheduleId: parsed.data.scheduleId,
    spec: {
      cronExpressions: spec.cronExpressions,
      calendars,
      intervals: spec.intervals.map(({ every, offset }) => ({ everyMs: every, offsetMs: offset })),
      jitterMs: spec.jitter,
      timezone: spec.timezone,
      startAt: spec.startAt ?? null,
      endAt: spec.endAt ?? null,
    },
    action: {
      workflowType: action.workflowType,
      taskQueue: action.taskQueue,
      workflowId: action.workflowId,
      args,
      searchAttributes: {
        ...(action.tenantId === undefined ? {} : { TenantId: action.tenantId }),
        OperationKind: action.operationKind,
        ...(action.connectionId === undefined ? {} : { ConnectionId: action.connectionId }),
      },
      // 0 is no timeout, as for the server.
      workflowExecutionTimeoutMs: action.workflowExecutionTimeout || null,
      workflowRunTimeoutMs: action.workflowRunTimeout || null,
    },
    policies: {
      overlap: policies.overlap,
      catchupWindowMs: policies.catchupWindow,
      pauseOnFailure: policies.pauseOnFailure,
    },
    memo,
    state: { paused: state.paused, note: state.note ?? null, enforcePaused: state.enforcePaused },
  };
}

/** The value as the default data converter hands it back (JSON); throws for what JSON cannot carry. */
function asJson(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === 'bigint') throw new Error('a bigint');
    if (typeof inner === 'function' || typeof inner === 'symbol') throw new Error(`a ${typeof inner}`);
    return inner;
  });
  return JSON.parse(text) as unknown;
}

function isKnownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
