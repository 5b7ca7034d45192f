// Temporal Schedules, declared in code and made to match on the server. What features use;
// the other files of this folder are its parts.
export type { OverlapPolicy, ScheduleDeclaration, ScheduleDuration } from './declaration.ts';
export { OVERLAP_POLICIES } from './declaration.ts';
export type { ScheduleDifference } from './compare.ts';
export type { SchedulePart } from './canonical-form.ts';
export type { EnsureScheduleResult } from './ensure-schedule.ts';
export { ensureSchedule } from './ensure-schedule.ts';
export type { ScheduleLogger } from './ensure-schedules.ts';
export { ensureSchedules } from './ensure-schedules.ts';
export type { BackfillOptions, TriggerOptions } from './control.ts';
export {
  backfillSchedule,
  deleteSchedule,
  deleteScheduleIfPresent,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
} from './control.ts';
export type { ScheduleAction, ScheduleStatus } from './describe-schedule.ts';
export { describeSchedule } from './describe-schedule.ts';
export { InvalidScheduleDeclaration, ScheduleNotFound, SchedulesNotEnsured } from './errors.ts';
