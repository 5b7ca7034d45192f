// A platform admin's decision on a tenant whose plan waits for approval.
import { z } from 'zod';

export const TenantApprovalRequest = z
  .strictObject({
    decision: z.enum(['approve', 'reject'], 'Choose approve or reject.'),
    reason: z.string().trim().max(500, 'Use at most 500 characters.').optional(),
  })
  .superRefine((body, ctx) => {
    if (body.decision === 'reject' && !body.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'Say why: the owner is told.' });
  })
  .meta({ id: 'TenantApprovalRequest' });
export type TenantApprovalRequest = z.infer<typeof TenantApprovalRequest>;

export const TenantApproval = z
  .object({
    /** `pending`: the approval policy needs more approvers (the primitive's quorum). */
    status: z.enum(['approved', 'rejected', 'pending']),
    decidedBy: z.string(),
    operation: z.object({ id: z.string(), links: z.object({ self: z.string(), events: z.string() }) }),
  })
  .meta({ id: 'TenantApproval' });
export type TenantApproval = z.infer<typeof TenantApproval>;
