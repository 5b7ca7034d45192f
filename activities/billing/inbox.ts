// The inbox side of an event the billing workflow acted on: its outcome on the stored row.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { recordStripeEventOutcome } from '../../db/repositories/billing.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

export function createInboxActivities(deps: Pick<ActivityDeps, 'dataSource'>) {
  return {
    /**
     * Marks the stored event handled with what became of it, and says the tenant's status
     * (the workflow ends once the tenant is gone). Retry-safe: the first outcome stays.
     */
    async recordStripeEventOutcome(input: {
      tenantId: string;
      eventId: string;
      outcome: string;
      actor: AuditActor;
    }): Promise<{ tenantStatus: string | null }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        await recordStripeEventOutcome(db, input.tenantId, input.eventId, input.outcome);
        return { tenantStatus: (await findTenantById(db, input.tenantId))?.status ?? null };
      });
    },
  };
}
