// Promotions (issue 14, docs/decisions/0023): a release asked to run in one of the tenant's
// environments. Each runs as the workflow `promotion/<slug>/<environment>/<number>`: check,
// approval when the environment's policy asks for one, deploy, watch the rollout, roll back to
// the previous release when it fails.
import { z } from 'zod';
import { EnvironmentPath } from './environments.ts';
import { OperationSummary } from './operations.ts';

export const PROMOTION_STATUSES = [
  'requested',
  'awaiting-approval',
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
