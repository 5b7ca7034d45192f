// A tenant's environments (issue 14, docs/decisions/0019): ordered, each with its configuration
// (variables, references to tenant secrets by name, replicas, resource limits) and its
// protection (who may deploy, soak time in the previous environment, freeze windows). Each has
// the namespace `tenant-<slug>-<name>`; creating and deleting one runs as a workflow
// (`environment-create/<slug>/<name>`, `environment-delete/<slug>/<name>`). Every mistake a
// request can make is reported on the field it is in.
import { z } from 'zod';
import { TenantPath } from './common.ts';
import { Role } from './members.ts';
import { OperationSummary } from './operations.ts';
import { secretName } from './secrets.ts';

/** As config/cluster.ts: short enough that `tenant-<40-char slug>-<name>` stays a 63-character DNS label. */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,13}[a-z0-9])?$/;
export const environmentName = z
  .string()
  .trim()
  .min(1, { error: 'Enter a name.', abort: true })
  .max(15, { error: 'Use at most 15 characters.', abort: true })
  .regex(
    ENVIRONMENT_NAME_PATTERN,
    'Use lowercase letters, digits and -, starting with a letter and not ending with -.',
  );

export const ENVIRONMENT_STATUSES = ['creating', 'ready', 'failed', 'deleting', 'deleted'] as const;
export const EnvironmentStatus = z.enum(ENVIRONMENT_STATUSES);
export type EnvironmentStatus = z.infer<typeof EnvironmentStatus>;

/** An environment variable's name as a container accepts it. */
export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_VARIABLES = 100;

/** Kubernetes quantities: CPU as `500m` or `2`, memory as `256Mi`, `1Gi`, `1G` or bytes. */
const CPU_QUANTITY = /^(?:\d+m|\d+(?:\.\d{1,3})?)$/;
const MEMORY_QUANTITY = /^\d+(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const cpu = z.string().trim().regex(CPU_QUANTITY, 'Use a CPU quantity such as 500m or 2.');
const memory = z.string().trim().regex(MEMORY_QUANTITY, 'Use a memory quantity such as 256Mi or 2Gi.');

/** CPU in millicores, memory in bytes: to compare a request with its limit. */
function cpuMillis(value: string): number {
  return value.endsWith('m') ? Number(value.slice(0, -1)) : Number(value) * 1000;
}
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};
function memoryBytes(value: string): number {
  const [, amount, unit] = /^(\d+)(\D*)$/.exec(value) ?? [];
  return Number(amount) * (MEMORY_UNITS[unit ?? ''] ?? Number.NaN);
}

const ResourcePair = z.strictObject({ cpu: cpu.optional(), memory: memory.optional() });

/** What each container of the environment asks for and may use at most. */
export const EnvironmentResources = z
  .strictObject({ requests: ResourcePair.default({}), limits: ResourcePair.default({}) })
  .superRefine((value, ctx) => {
    const { requests, limits } = value;
    if (requests.cpu && limits.cpu && cpuMillis(requests.cpu) > cpuMillis(limits.cpu))
      ctx.addIssue({ code: 'custom', path: ['requests', 'cpu'], message: 'Ask for no more CPU than the limit.' });
    if (requests.memory && limits.memory && memoryBytes(requests.memory) > memoryBytes(limits.memory))
      ctx.addIssue({
        code: 'custom',
        path: ['requests', 'memory'],
        message: 'Ask for no more memory than the limit.',
      });
  })
  .meta({ id: 'EnvironmentResources' });
export type EnvironmentResources = z.infer<typeof EnvironmentResources>;

export const EnvironmentConfiguration = z
  .strictObject({
    /** Plain (not secret) environment variables, by name. */
    variables: z
      .record(z.string(), z.string({ error: 'Give the value as text.' }).max(4096, 'Use at most 4096 characters.'))
      .superRefine((value, ctx) => {
        for (const key of Object.keys(value))
          if (!VARIABLE_NAME_PATTERN.test(key))
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'Name variables with letters, digits and _, not starting with a digit.',
            });
        if (Object.keys(value).length > MAX_VARIABLES)
          ctx.addIssue({ code: 'custom', message: `Set at most ${MAX_VARIABLES} variables.` });
      })
      .default({}),
    /** Tenant secrets (by name, in this environment) the environment's workloads read. */
    secretRefs: z
      .array(secretName)
      .max(50, 'Reference at most 50 secrets.')
      .refine((items) => new Set(items.map((item) => item.toLowerCase())).size === items.length, {
        message: 'Reference each secret once.',
      })
      .default([]),
    replicas: z
      .number({ error: 'Enter a whole number of replicas.' })
      .int('Enter a whole number of replicas.')
      .min(0, 'Use 0 or more replicas.')
      .max(50, 'Use at most 50 replicas.')
      .default(1),
    /** Per container; null: the plan's defaults (the namespace's LimitRange). */
    resources: EnvironmentResources.nullable().default(null),
  })
  .meta({ id: 'EnvironmentConfiguration' });
export type EnvironmentConfiguration = z.infer<typeof EnvironmentConfiguration>;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const Weekday = z.enum(WEEKDAYS, { error: `Choose days among: ${WEEKDAYS.join(', ')}.` });
export type Weekday = z.infer<typeof Weekday>;

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const timeOfDay = z.string().regex(TIME_OF_DAY, 'Use a time such as 18:00 (24-hour, HH:MM).');
const reason = z.string().trim().min(1, 'Say why deployments are frozen.').max(200, 'Use at most 200 characters.');

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A one-off freeze (a launch, a holiday): from `start` to `end`. */
export const OnceFreezeWindow = z
  .strictObject({
    kind: z.literal('once'),
    start: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 time such as 2026-12-24T00:00:00Z.' }),
    end: z.iso.datetime({ offset: true, error: 'Use an ISO 8601 time such as 2026-12-27T00:00:00Z.' }),
    reason,
  })
  .superRefine((value, ctx) => {
    if (Date.parse(value.end) <= Date.parse(value.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'End the window after it starts.' });
  });

/** A freeze every week on the given days, from `start` to `end` (the same day) in `timeZone`. */
export const WeeklyFreezeWindow = z
  .strictObject({
    kind: z.literal('weekly'),
    days: z
      .array(Weekday)
      .min(1, 'Choose at least one day.')
      .refine((items) => new Set(items).size === items.length, { message: 'Name each day once.' }),
    start: timeOfDay,
    end: timeOfDay,
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'Use an IANA time zone such as Europe/Berlin or UTC.' })
      .default('UTC'),
    reason,
  })
  .superRefine((value, ctx) => {
    if (TIME_OF_DAY.test(value.start) && TIME_OF_DAY.test(value.end) && value.end <= value.start)
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: 'End the window after it starts (a window over midnight is two windows).',
      });
  });

export const FreezeWindow = z
  .discriminatedUnion('kind', [OnceFreezeWindow, WeeklyFreezeWindow], {
    error: 'Choose the kind of window: "once" or "weekly".',
  })
  .meta({ id: 'FreezeWindow' });
export type FreezeWindow = z.infer<typeof FreezeWindow>;

export const EnvironmentProtection = z
  .strictObject({
    /** The roles whose members may deploy to (or promote into) this environment. */
    deployRoles: z
      .array(Role)
      .min(1, 'Let at least one role deploy.')
      .refine((items) => new Set(items).size === items.length, { message: 'Name each role once.' })
      .default(['owner', 'admin', 'developer']),
    /** How long a release must have run in the previous environment before it comes here. */
    soakMinutes: z
      .number({ error: 'Enter the soak time in whole minutes.' })
      .int('Enter the soak time in whole minutes.')
      .min(0, 'Use 0 or more minutes.')
      .max(43_200, 'Use at most 30 days (43200 minutes).')
      .default(0),
    freezeWindows: z.array(FreezeWindow).max(20, 'Use at most 20 freeze windows.').default([]),
  })
  .meta({ id: 'EnvironmentProtection' });
export type EnvironmentProtection = z.infer<typeof EnvironmentProtection>;

export const DEFAULT_CONFIGURATION: EnvironmentConfiguration = EnvironmentConfiguration.parse({});
export const DEFAULT_PROTECTION: EnvironmentProtection = EnvironmentProtection.parse({});

export const EnvironmentPath = TenantPath.extend({ environment: environmentName });
export type EnvironmentPath = z.infer<typeof EnvironmentPath>;

export const CreateEnvironmentRequest = z
  .strictObject({
    name: environmentName,
    configuration: EnvironmentConfiguration.default(DEFAULT_CONFIGURATION),
    protection: EnvironmentProtection.default(DEFAULT_PROTECTION),
  })
  .meta({ id: 'CreateEnvironmentRequest' });
export type CreateEnvironmentRequest = z.infer<typeof CreateEnvironmentRequest>;

/** Either part, or both; each replaces what was there. */
export const UpdateEnvironmentRequest = z
  .strictObject({
    configuration: EnvironmentConfiguration.optional(),
    protection: EnvironmentProtection.optional(),
  })
  .refine((value) => value.configuration !== undefined || value.protection !== undefined, {
    message: 'Send the configuration, the protection, or both.',
  })
  .meta({ id: 'UpdateEnvironmentRequest' });
export type UpdateEnvironmentRequest = z.infer<typeof UpdateEnvironmentRequest>;

export const Environment = z
  .object({
    name: z.string(),
    position: z.number().int(),
    namespace: z.string(),
    status: EnvironmentStatus,
    statusDetail: z.string().nullable(),
    configuration: EnvironmentConfiguration,
    protection: EnvironmentProtection,
    /** The operation that created it, or that is deleting it. */
    operationId: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    updatedAt: z.string(),
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof Environment>;

export const EnvironmentList = z
  .object({
    items: z.array(Environment),
    /** How many the plan allows (null: unlimited), and how many exist (deleted ones do not count). */
    limit: z.number().int().nullable(),
    used: z.number().int(),
  })
  .meta({ id: 'EnvironmentList' });
export type EnvironmentList = z.infer<typeof EnvironmentList>;

export const EnvironmentStarted = z
  .object({ environment: Environment, operation: OperationSummary })
  .meta({ id: 'EnvironmentStarted' });
export type EnvironmentStarted = z.infer<typeof EnvironmentStarted>;

/**
 * The freeze window that holds deployments at `at`, if any (the first that does). Weekly windows
 * are read in their time zone. Pure, so the API, the portal and workflows can ask it.
 */
export function activeFreezeWindow(windows: readonly FreezeWindow[], at: Date): FreezeWindow | null {
  for (const window of windows) {
    if (window.kind === 'once') {
      if (at.getTime() >= Date.parse(window.start) && at.getTime() < Date.parse(window.end)) return window;
      continue;
    }
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: window.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(at);
    const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '';
    const day = part('weekday').toLowerCase().slice(0, 3) as Weekday;
    const time = `${part('hour')}:${part('minute')}`;
    if (window.days.includes(day) && time >= window.start && time < window.end) return window;
  }
  return null;
}

/**
 * When `window`, in force at `at`, ends: a one-off window at its `end`, a weekly one at its `end`
 * of that day in its time zone. Pure, like activeFreezeWindow. A window that another follows at
 * once is seen again by whoever asks at the end of this one.
 */
export function freezeWindowEnd(window: FreezeWindow, at: Date): Date {
  if (window.kind === 'once') return new Date(window.end);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: window.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((item) => item.type === type)?.value ?? 0);
  const nowSeconds = part('hour') * 3600 + part('minute') * 60 + part('second');
  const [endHour, endMinute] = window.end.split(':').map(Number) as [number, number];
  const endSeconds = endHour * 3600 + endMinute * 60;
  return new Date(at.getTime() - at.getMilliseconds() + (endSeconds - nowSeconds) * 1000);
}
