// Activities of provisionTenant's approval step. Retry-safe: each writes only a change of
// the tenant's approval state, with its audit entry in the same transaction.
import { Context } from '@temporalio/activity';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

export function createTenantApprovalActivities(deps: KernelDeps) {
  return {
    /** Marks the tenant as waiting for approval (null → pending, once). */
    async requestTenantApproval(input: { tenantId: string; actor: AuditActor; timeoutMs: number }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant || tenant.approvalStatus !== null) return;
        await db.query(`UPDATE tenants SET approval_status = 'pending' WHERE id = $1`, [input.tenantId]);
        await audit('tenant.approval_requested', 'tenant', input.tenantId, {
          plan: tenant.plan,
          approval: 'pending',
          waitsMs: input.timeoutMs,
        });
      });
      Context.current().log.info('Tenant waits for approval');
    },

    /** Records the decision (or the timeout, as a rejection by the system). Once: pending → decided. */
    async recordTenantApproval(input: {
      tenantId: string;
      approved: boolean;
      reason: string | null;
      decidedBy: AuditActor;
    }): Promise<void> {
      // The decision is audited as the decider's (the platform admin, or the system on timeout).
      const scope = { tenantId: input.tenantId, actor: input.decidedBy };
      await lockedTenantStep(deps, scope, async ({ db, auditChange }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (tenant?.approvalStatus !== 'pending') return;
        const status = input.approved ? 'approved' : 'rejected';
        await db.query(
          `UPDATE tenants SET approval_status = $2, approval_decided_by = $3, approval_decided_at = now(),
             approval_reason = $4 WHERE id = $1`,
          [input.tenantId, status, input.decidedBy.type === 'user' ? input.decidedBy.id : null, input.reason],
        );
        await auditChange(
          input.approved ? 'tenant.approved' : 'tenant.rejected',
          'tenant',
          input.tenantId,
          { approval: 'pending' },
          { approval: status, reason: input.reason },
        );
      });
    },
  };
}

export type TenantApprovalActivities = ReturnType<typeof createTenantApprovalActivities>;
