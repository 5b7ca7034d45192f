// What Atrium runs for a tenant (platform admins): what provisioning built, its license,
// its suspensions.
import { z } from 'zod';

export const TenantSuspensionRecord = z.object({
  number: z.number().int(),
  reason: z.string(),
  suspendedAt: z.iso.datetime().nullable(),
  reactivatedAt: z.iso.datetime().nullable(),
  sessionsRevoked: z.number().int().nullable(),
  workloadsScaledDown: z.number().int().nullable(),
});
export type TenantSuspensionRecord = z.infer<typeof TenantSuspensionRecord>;

export const TenantResources = z
  .object({
    databaseRole: z.string().nullable(),
    secretPolicy: z.string().nullable(),
    billingCustomerId: z.string().nullable(),
    billingSubscriptionId: z.string().nullable(),
    clusterNamespaces: z.array(z.string()),
    welcomeSentAt: z.iso.datetime().nullable(),
    license: z.object({ licenseId: z.string(), tier: z.string(), issuedAt: z.iso.datetime() }).nullable(),
    suspensions: z.array(TenantSuspensionRecord),
  })
  .meta({ id: 'TenantResources' });
export type TenantResources = z.infer<typeof TenantResources>;
