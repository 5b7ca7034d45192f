// Tenants: the platform's registry — listing, reading and creating one (which starts its
// provisioning).
import { z } from 'zod';
import { PLAN_NAMES } from '../workflows/plans.ts';
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

export const slugField = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'Use 3 to 40 lowercase letters, digits or dashes, starting with a letter.')
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

export const TenantList = z.object({ items: z.array(Tenant) });
export type TenantList = z.infer<typeof TenantList>;
