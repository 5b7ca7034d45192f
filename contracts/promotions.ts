// Promotions (issue 14, docs/decisions/0023): a release asked to run in one of the tenant's
// environments. Each runs as the workflow `promotion/<slug>/<environment>/<number>`: check,
// approval when the environment's policy asks for one, deploy, watch the rollout, roll back to
// the previous release when it fails.
import { z } from 'zod';
import { ApprovalStage } from './approvals.ts';
import { EnvironmentPath } from './environments.ts';
import { OperationSummary } from './operations.ts';

export const PROMOTION_STATUSES = [
  'requested',
  'awaiting-approval',
  /** Waiting before it deploys: a freeze window, the soak time, a suspended tenant (`detail` says which). */
  'held',
  'deploying',
  'succeeded',
  'rolled-back',
  'failed',
  'rejected',
] as const;
export const PromotionStatus = z.enum(PROMOTION_STATUSES);
export type PromotionStatus = z.infer<typeof PromotionStatus>;

export const CreatePromotionRequest = z
  .strictObject({
    release: z
      .number({ error: 'Give the release number.' })
      .int('Give the release number.')
      .positive('Give the release number.'),
  })
  .meta({ id: 'CreatePromotionRequest' });
export type CreatePromotionRequest = z.infer<typeof CreatePromotionRequest>;

export const Promotion = z
  .object({
    environment: z.string(),
    number: z.number().int().positive(),
    release: z.number().int().positive(),
    previousRelease: z.number().int().positive().nullable(),
    status: PromotionStatus,
    detail: z.string().nullable(),
    operationId: z.string(),
    requestedBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'Promotion' });
export type Promotion = z.infer<typeof Promotion>;

export const PromotionList = z.object({ items: z.array(Promotion) }).meta({ id: 'PromotionList' });
export type PromotionList = z.infer<typeof PromotionList>;

export const PromotionStarted = z
  .object({ promotion: Promotion, operation: OperationSummary })
  .meta({ id: 'PromotionStarted' });
export type PromotionStarted = z.infer<typeof PromotionStarted>;

export const PromotionsPath = EnvironmentPath;

export const PromotionPreviewQuery = z.strictObject({
  release: z.coerce
    .number({ error: 'Give the release number.' })
    .int('Give the release number.')
    .positive('Give the release number.'),
});
export type PromotionPreviewQuery = z.infer<typeof PromotionPreviewQuery>;

/**
 * What promoting a release into an environment would meet, read before it starts: whether the
 * caller may start it now (`blockers` say why not), the approval the environment's policy asks
 * for, the soak time in the previous environment and a freeze in force (both hold a started
 * promotion before it deploys, they do not refuse it).
 */
export const PromotionPreview = z
  .object({
    environment: z.string(),
    release: z.number().int().positive(),
    /** The release that runs there now (the last promotion that succeeded), if any. */
    currentRelease: z.number().int().positive().nullable(),
    canPromote: z.boolean(),
    /** Why it cannot start now, one sentence each (empty when it can). */
    blockers: z.array(z.string()),
    /** The policy rule that applies and its stages; null when no approval is needed. */
    approval: z.object({ rule: z.string(), stages: z.array(ApprovalStage) }).nullable(),
    /** The soak time asked for in the previous environment; null when none is. */
    soak: z
      .object({
        minutes: z.number().int().positive(),
        previousEnvironment: z.string(),
        /** When the release became available there; null: it has not run there. */
        ranSince: z.string().nullable(),
        /** When the soak time ends (it may be past). */
        soakedAt: z.string().nullable(),
      })
      .nullable(),
    /** A freeze window in force now: the promotion would wait until it ends. */
    freeze: z.object({ reason: z.string(), until: z.string() }).nullable(),
  })
  .meta({ id: 'PromotionPreview' });
export type PromotionPreview = z.infer<typeof PromotionPreview>;
