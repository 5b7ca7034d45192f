// What the billing workflow asks before it suspends a tenant, or lifts a suspension, exactly as
// the admin console does (api/tenant-suspension/routes.ts): the next suspension number, and
// whether a suspension is in force already — a billing suspension is never stacked on an
// admin's, and an admin's is never lifted by billing.
import { findOpenSuspension, findSuspension, nextSuspensionNumber } from '../../db/repositories/tenant-suspensions.ts';
import { lockTenantBilling, updateTenantBilling } from '../../db/repositories/billing.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { BILLING_SUSPENSION_REASON } from '../../workflows/billing/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

export type SuspensionPlan = { start: true; number: number } | { start: false; reason: string };

export function createBillingSuspensionActivities(deps: Pick<ActivityDeps, 'dataSource'>) {
  return {
    /**
     * Whether to suspend the tenant now, and under which number. Retry-safe: it only reads
     * (the suspension's workflow ID makes two starts of one number one suspension).
     */
    async prepareBillingSuspension(input: { tenantId: string; actor: AuditActor }): Promise<SuspensionPlan> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const tenant = await findTenantById(db, input.tenantId);
        const open = await findOpenSuspension(db, input.tenantId);
        if (open)
          return {
            start: false,
            reason: `suspension ${open.number} (${open.reason}) is in force already; billing does not add its own`,
          };
        if (tenant?.status !== 'active') return { start: false, reason: `the tenant is ${tenant?.status ?? 'gone'}` };
        return { start: true, number: await nextSuspensionNumber(db, input.tenantId) };
      });
    },

    /**
     * Records that the grace period ran out: the billing suspension it started, or why none
     * was started. Retry-safe: recorded once, while the tenant is in dunning.
     */
    async recordBillingSuspension(input: {
      tenantId: string;
      number: number | null;
      skipped: string | null;
      actor: AuditActor;
    }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const billing = await lockTenantBilling(db, input.tenantId);
        if (billing.standing !== 'dunning') return;
        if (input.number !== null) {
          await updateTenantBilling(db, input.tenantId, { standing: 'suspended', suspensionNumber: input.number });
          await auditChange(
            'billing.tenant_suspended',
            'tenant',
            input.tenantId,
            { standing: 'dunning' },
            { standing: 'suspended', suspension: input.number, invoiceIds: billing.dunning_invoice_ids },
          );
          return;
        }
        if (billing.suspension_skipped !== null) return;
        await updateTenantBilling(db, input.tenantId, { suspensionSkipped: input.skipped });
        await auditChange(
          'billing.suspension_skipped',
          'tenant',
          input.tenantId,
          { standing: 'dunning' },
          { standing: 'dunning', reason: input.skipped },
        );
      });
    },

    /**
     * Whether the billing suspension `number` may be lifted: it is still open and it is
     * billing's (reason "billing", asked by no person). Retry-safe: it only reads.
     */
    async prepareBillingReactivation(input: {
      tenantId: string;
      number: number;
      actor: AuditActor;
    }): Promise<SuspensionPlan> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const suspension = await findSuspension(db, input.tenantId, input.number);
        if (!suspension || suspension.reactivated_at !== null)
          return { start: false, reason: `suspension ${input.number} was lifted already` };
        if (suspension.reason !== BILLING_SUSPENSION_REASON || suspension.requested_by !== null)
          return { start: false, reason: `suspension ${input.number} is an admin's` };
        return { start: true, number: input.number };
      });
    },
  };
}
