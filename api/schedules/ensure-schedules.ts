// Ensures a list of declarations (the API does it at boot) and logs what each one took:
// created, updated (with the fields that differed) or unchanged. A list with an invalid
// declaration or a repeated id is refused before anything reaches the server; a server
// error on one schedule does not stop the others, and is reported at the end.
import type { Client } from '@temporalio/client';
import type { Logger } from '../../logging/logger.ts';
import type { ScheduleDeclaration } from './declaration.ts';
import { resolveDeclaration } from './declaration.ts';
import type { EnsureScheduleResult } from './ensure-schedule.ts';
import { ensureSchedule } from './ensure-schedule.ts';
import { InvalidScheduleDeclaration, SchedulesNotEnsured } from './errors.ts';

export type ScheduleLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * One schedule after another (they are few at boot, and the server is shared); resolves
 * with every result, or throws SchedulesNotEnsured after trying them all.
 */
export async function ensureSchedules(
  client: Client,
  declarations: readonly ScheduleDeclaration[],
  logger: ScheduleLogger,
): Promise<EnsureScheduleResult[]> {
  checkList(declarations);
  const results: EnsureScheduleResult[] = [];
  const failures: { scheduleId: string; error: unknown }[] = [];
  for (const declaration of declarations) {
    const fields = {
      scheduleId: declaration.scheduleId,
      workflowType: declaration.action.workflowType,
      operationKind: declaration.action.operationKind,
      tenantId: declaration.action.tenantId,
    };
    try {
      const result = await ensureSchedule(client, declaration);
      results.push(result);
      logResult(logger, result, fields);
    } catch (error) {
      failures.push({ scheduleId: declaration.scheduleId, error });
      logger.error('Schedule could not be made to match its declaration', { ...fields, error });
    }
  }
  const count = (outcome: EnsureScheduleResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  logger.info('Schedules ensured', {
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    failed: failures.length,
  });
  if (failures.length > 0) throw new SchedulesNotEnsured(failures);
  return results;
}

function checkList(declarations: readonly ScheduleDeclaration[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const declaration of declarations) {
    try {
      resolveDeclaration(declaration);
    } catch (error) {
      if (!(error instanceof InvalidScheduleDeclaration)) throw error;
      problems.push(...error.problems.map((problem) => `${declaration.scheduleId}: ${problem}`));
    }
    if (seen.has(declaration.scheduleId)) problems.push(`${declaration.scheduleId}: declared more than once`);
    seen.add(declaration.scheduleId);
  }
  if (problems.length > 0) throw new InvalidScheduleDeclaration(null, problems);
}

function logResult(logger: ScheduleLogger, result: EnsureScheduleResult, fields: Record<string, unknown>): void {
  switch (result.outcome) {
    case 'created':
      logger.info('Schedule created', { ...fields, outcome: result.outcome });
      break;
    case 'updated':
      logger.info('Schedule updated to match its declaration', {
        ...fields,
        outcome: result.outcome,
        differences: result.differences.map(({ part, field }) => `${part}.${field}`),
      });
      break;
    case 'unchanged':
      logger.debug('Schedule matches its declaration', { ...fields, outcome: result.outcome });
      break;
  }
  if (result.outcome !== 'created' && result.memoOutdated) {
    logger.warn(
      'Schedule memo differs from its declaration; Temporal cannot change a memo: delete the schedule and the next ensure creates it with the new one',
      { ...fields },
    );
  }
}
