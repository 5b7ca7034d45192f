// Stuck activities (operators): activities of Atrium's running workflows that have been
// retrying for longer than a threshold, and what an operator may do about them.
//   GET  /api/v1/admin/stuck-activities?olderThan=5m        operator-read and operator-write
//   POST /api/v1/admin/stuck-activities/{workflowId}/retry   operator-write: the activity runs now, attempts from 1
//   POST /api/v1/admin/stuck-activities/{workflowId}/cancel  operator-write: the workflow is asked to cancel
//   POST /api/v1/admin/stuck-activities/{workflowId}/terminate operator-write, with a reason
import { z } from 'zod';
import { duration } from './common.ts';

export const STUCK_THRESHOLD_MIN_MS = 1_000;
export const STUCK_THRESHOLD_MAX_MS = 30 * 86_400_000;
/** The thresholds the portal offers; any duration between 1s and 30d is accepted. */
export const STUCK_THRESHOLD_CHOICES = ['1m', '5m', '15m', '1h', '6h', '1d'] as const;

export const stuckThreshold = duration.refine(
  (ms) => ms >= STUCK_THRESHOLD_MIN_MS && ms <= STUCK_THRESHOLD_MAX_MS,
  'must be between 1s and 30d',
);

export const StuckActivitiesQuery = z.strictObject({
  olderThan: stuckThreshold.optional().meta({
    description: 'Retrying for longer than this (30s, 5m, 2h, 7d; 1s to 30d); STUCK_ACTIVITY_THRESHOLD when absent.',
  }),
});

export const StuckActivity = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    workflowType: z.string(),
    /** TenantId search attribute; null for platform workflows. */
    tenantId: z.string().nullable(),
    tenantSlug: z.string().nullable(),
    /** OperationKind search attribute: the workflow is an Atrium operation (its page: /operations/{operationId}). */
    operationKind: z.string().nullable(),
    operationId: z.string().nullable(),
    activityId: z.string(),
    activityType: z.string(),
    attempt: z.number().int().positive(),
    /** Null: no maximum, it retries until it succeeds or the workflow ends. */
    maximumAttempts: z.number().int().positive().nullable(),
    /** When its first attempt was scheduled (null when the history did not say in time). */
    retryingSince: z.iso.datetime().nullable(),
    lastFailure: z.string().nullable(),
    /** When its last attempt failed (or started, while one runs). */
    lastAttemptAt: z.iso.datetime().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    paused: z.boolean(),
  })
  .meta({ id: 'StuckActivity' });
export type StuckActivity = z.infer<typeof StuckActivity>;

export const StuckActivityList = z
  .object({
    thresholdMs: z.number().int().positive(),
    /** The caller's operator role: `read` may look, `write` may also act. */
    operatorRole: z.enum(['read', 'write']),
    checkedAt: z.iso.datetime(),
    items: z.array(StuckActivity),
    /** How many running workflows were looked at. */
    scanned: z.number().int().nonnegative(),
    /** More running workflows than one request looks at (500): the most recently started were looked at. */
    truncated: z.boolean(),
  })
  .meta({ id: 'StuckActivityList' });
export type StuckActivityList = z.infer<typeof StuckActivityList>;

export const StuckWorkflowParams = z.strictObject({
  workflowId: z.string().min(1).max(255),
});

export const STUCK_ACTIONS = ['retry', 'cancel', 'terminate'] as const;
export type StuckAction = (typeof STUCK_ACTIONS)[number];

const reason = z.string().trim().min(1, 'must not be empty').max(500);

export const RetryStuckActivityRequest = z
  .strictObject({
    activityId: z.string().min(1, 'must name the pending activity').max(255),
    reason: reason.optional(),
  })
  .meta({ id: 'RetryStuckActivityRequest' });
export type RetryStuckActivityRequest = z.infer<typeof RetryStuckActivityRequest>;

export const CancelStuckWorkflowRequest = z
  .strictObject({ reason: reason.optional() })
  .meta({ id: 'CancelStuckWorkflowRequest' });
export type CancelStuckWorkflowRequest = z.infer<typeof CancelStuckWorkflowRequest>;

export const TerminateStuckWorkflowRequest = z
  .strictObject({ reason: z.string({ error: 'is required: say why the workflow is terminated' }).pipe(reason) })
  .meta({ id: 'TerminateStuckWorkflowRequest' });
export type TerminateStuckWorkflowRequest = z.infer<typeof TerminateStuckWorkflowRequest>;

export const StuckActionResult = z
  .object({
    action: z.enum(STUCK_ACTIONS),
    workflowId: z.string(),
    runId: z.string(),
    activityId: z.string().nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'StuckActionResult' });
export type StuckActionResult = z.infer<typeof StuckActionResult>;
