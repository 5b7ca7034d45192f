// Suspending a tenant and reactivating it (platform admins); both answer with the
// operation they started (contracts/operations.ts OperationStarted).
import { z } from 'zod';

export const SuspendTenantRequest = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(3, 'Say why, in a few words: members see it.')
      .max(500, 'Use at most 500 characters.'),
  })
  .meta({ id: 'SuspendTenantRequest' });
export type SuspendTenantRequest = z.infer<typeof SuspendTenantRequest>;

export const ReactivateTenantRequest = z.strictObject({}).meta({ id: 'ReactivateTenantRequest' });
export type ReactivateTenantRequest = z.infer<typeof ReactivateTenantRequest>;
