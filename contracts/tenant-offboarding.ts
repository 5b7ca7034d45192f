// Offboarding a tenant (platform admins): start it, cancel it during the grace period, and
// read the teardown report. The data export is a tar.gz download.
import { z } from 'zod';
import { duration } from './common.ts';
import { OperationSummary } from './operations.ts';

export const OFFBOARD_MAX_GRACE_MS = 90 * 86_400_000;

export const OffboardTenantRequest = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(3, 'Say why, in a few words: it is kept in the audit log and the report.')
      .max(500, 'Use at most 500 characters.'),
    gracePeriod: duration
      .refine((ms) => ms >= 1_000 && ms <= OFFBOARD_MAX_GRACE_MS, 'must be between 1s and 90d')
      .optional()
      .meta({ description: 'How long the tenant can still be brought back, e.g. 7d (default OFFBOARD_GRACE_PERIOD).' }),
  })
  .meta({ id: 'OffboardTenantRequest' });
/** What a client sends: the grace period as a duration such as `7d`. */
export type OffboardTenantRequest = z.input<typeof OffboardTenantRequest>;

export const TenantOffboardingStarted = z.object({
  operation: OperationSummary,
  offboarding: z.object({ gracePeriodMs: z.number(), deleteAfter: z.string() }),
});
export type TenantOffboardingStarted = z.infer<typeof TenantOffboardingStarted>;

export const CancelTenantOffboardingRequest = z.strictObject({}).meta({ id: 'CancelTenantOffboardingRequest' });
export type CancelTenantOffboardingRequest = z.infer<typeof CancelTenantOffboardingRequest>;

export const TenantOffboardingCancellation = z.object({
  operation: OperationSummary,
  /** `requested`: no worker confirmed within 10 s; follow the operation. */
  cancellation: z.enum(['confirmed', 'requested']),
});
export type TenantOffboardingCancellation = z.infer<typeof TenantOffboardingCancellation>;

export const TeardownResource = z.object({ kind: z.string(), name: z.string(), evidence: z.string() });
export type TeardownResource = z.infer<typeof TeardownResource>;

export const TenantTeardownReport = z
  .object({
    tenantId: z.string(),
    slug: z.string(),
    status: z.string(),
    operationId: z.string(),
    reason: z.string(),
    startedAt: z.string(),
    cancelledAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    resources: z.array(TeardownResource),
    steps: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TenantTeardownReport' });
export type TenantTeardownReport = z.infer<typeof TenantTeardownReport>;
