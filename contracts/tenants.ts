// Tenants: the platform's registry — listing (paged, filtered), reading and creating one
// (which starts its provisioning).
import { z } from 'zod';
import { PLAN_NAMES } from '../workflows/shared/plans.ts';
import { emailField } from './common.ts';
import { OperationSummary } from './operations.ts';

export { PLAN_NAMES };

export const TenantPlan = z.enum(PLAN_NAMES);
export type TenantPlan = z.infer<typeof TenantPlan>;

export const TENANT_STATUSES = ['pending', 'active', 'failed', 'suspended', 'offboarding', 'offboarded'] as const;
export const TenantStatus = z.enum(TENANT_STATUSES);
export type TenantStatus = z.infer<typeof TenantStatus>;

/** A platform admin's decision on a tenant whose plan waits for approval. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const ApprovalStatus = z.enum(APPROVAL_STATUSES);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** What a tenant's slug looks like; no tenant has any other. */
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

export const slugField = z
  .string()
  .regex(SLUG_PATTERN, 'Use 3 to 40 lowercase letters, digits or dashes, starting with a letter.')
  .meta({ description: 'URL-safe tenant name; fixed once created.', example: 'acme' });

export const Tenant = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    plan: TenantPlan,
    status: TenantStatus,
    failureReason: z.string().nullable(),
    approvalStatus: ApprovalStatus.nullable().meta({
      description: "Null when the plan needs no platform admin's approval.",
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Tenant' });
export type Tenant = z.infer<typeof Tenant>;

export const TenantParams = z.strictObject({ slug: slugField });

export const CreateTenantRequest = z
  .strictObject({
    slug: slugField,
    name: z.string().trim().min(1, 'Enter a name.').max(200, 'Use at most 200 characters.'),
    plan: TenantPlan.default('free'),
    ownerEmail: emailField,
  })
  .meta({ id: 'CreateTenantRequest' });
/** What a client sends (the plan may be left out). */
export type CreateTenantRequest = z.input<typeof CreateTenantRequest>;

export const TenantCreated = z.object({ tenant: Tenant, operation: OperationSummary });
export type TenantCreated = z.infer<typeof TenantCreated>;

export const TENANT_PAGE_LIMIT = { default: 50, max: 100 } as const;

const limitMessage = `Use a whole number from 1 to ${TENANT_PAGE_LIMIT.max}.`;

export const TenantListQuery = z.strictObject({
  status: z
    .enum(TENANT_STATUSES, `Use one of ${TENANT_STATUSES.join(', ')}.`)
    .optional()
    .meta({ description: 'Only tenants with this status.' }),
  q: z
    .string()
    .trim()
    .min(1, 'Enter the start of a slug or name.')
    .max(100, 'Use at most 100 characters.')
    .optional()
    .meta({ description: 'Only tenants whose slug or name starts with this (case-insensitive).' }),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'Pass the nextCursor of a previous page unchanged.')
    .optional()
    .meta({ description: 'The nextCursor of the previous page.' }),
  limit: z.coerce
    .number(limitMessage)
    .int(limitMessage)
    .min(1, limitMessage)
    .max(TENANT_PAGE_LIMIT.max, limitMessage)
    .default(TENANT_PAGE_LIMIT.default),
});
/** What a client may send: every field optional, limit as a number. */
export type TenantListQuery = z.input<typeof TenantListQuery>;

export const TenantPage = z
  .object({
    items: z.array(Tenant),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .meta({ id: 'TenantPage' });
export type TenantPage = z.infer<typeof TenantPage>;
