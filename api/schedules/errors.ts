// The errors the schedules module throws, each saying what to do about it. Callers test
// them with instanceof; the SDK's own errors do not leave this folder.
import { ScheduleNotFoundError } from '@temporalio/client';

/** No schedule with this id is running in the namespace (never created, or deleted). */
export class ScheduleNotFound extends Error {
  readonly scheduleId: string;
  readonly namespace: string;
  constructor(scheduleId: string, namespace: string) {
    super(
      `Schedule "${scheduleId}" does not exist in namespace "${namespace}". ` +
        'Check the id (`temporal schedule list`); schedules Atrium declares are created again by ensureSchedules when the API starts.',
    );
    this.name = 'ScheduleNotFound';
    this.scheduleId = scheduleId;
    this.namespace = namespace;
  }
}

/**
 * A declaration (or a list of them: `scheduleId` null) that cannot be applied; `problems`
 * names each field and what is wrong with it.
 */
export class InvalidScheduleDeclaration extends Error {
  readonly scheduleId: string | null;
  readonly problems: string[];
  constructor(scheduleId: string | null, problems: string[]) {
    const subject = scheduleId === null ? 'Schedule declarations are' : `Schedule declaration "${scheduleId}" is`;
    super(`${subject} invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidScheduleDeclaration';
    this.scheduleId = scheduleId;
    this.problems = problems;
  }
}

/** Runs a call on one schedule, turning the SDK's not-found into ScheduleNotFound. */
export async function onSchedule<T>(scheduleId: string, namespace: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new ScheduleNotFound(scheduleId, namespace);
    throw error;
  }
}

/** Some schedules of a list could not be made to match (the others were); each failure is logged too. */
export class SchedulesNotEnsured extends Error {
  readonly failures: { scheduleId: string; error: unknown }[];
  constructor(failures: { scheduleId: string; error: unknown }[]) {
    const lines = failures.map(
      ({ scheduleId, error }) => `  - ${scheduleId}: ${error instanceof Error ? error.message : String(error)}`,
    );
    super(`${failures.length} schedule(s) could not be made to match their declarations:\n${lines.join('\n')}`);
    this.name = 'SchedulesNotEnsured';
    this.failures = failures;
  }
}
