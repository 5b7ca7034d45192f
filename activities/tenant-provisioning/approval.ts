// Activities of provisionTenant's approval step. Retry-safe: each writes only a change of
// the tenant's approval state, with its audit entry in the same transaction.
import { Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { addLogContext } from '../../logging/context.ts';
import { withTenantLock } from '../shared/tenant-lock.ts';

export interface TenantApprovalActivityDeps {
  dataSource: DataSource;
}

export function createTenantApprovalActivities({ dataSource }: TenantApprovalActivityDeps) {
  return {
    /** Marks the tenant as waiting for approval (null → pending, once). */
    async requestTenantApproval(input: { tenantId: string; actor: AuditActor; timeoutMs: number }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await withTenantLock(dataSource, input.tenantId, async (db) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant || tenant.approvalStatus !== null) return;
        await db.query(`UPDATE tenants SET approval_status = 'pending' WHERE id = $1`, [input.tenantId]);
        await appendAuditEntry(db, {
          tenantId: input.tenantId,
          actor: input.actor,
          action: 'tenant.approval_requested',
          targetType: 'tenant',
          targetId: input.tenantId,
          after: { plan: tenant.plan, approval: 'pending', waitsMs: input.timeoutMs },
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
      addLogContext({ tenantId: input.tenantId });
      await withTenantLock(dataSource, input.tenantId, async (db) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (tenant?.approvalStatus !== 'pending') return;
        const status = input.approved ? 'approved' : 'rejected';
        await db.query(
          `UPDATE tenants SET approval_status = $2, approval_decided_by = $3, approval_decided_at = now(),
             approval_reason = $4 WHERE id = $1`,
          [input.tenantId, status, input.decidedBy.type === 'user' ? input.decidedBy.id : null, input.reason],
        );
        await appendAuditEntry(db, {
          tenantId: input.tenantId,
          actor: input.decidedBy,
          action: input.approved ? 'tenant.approved' : 'tenant.rejected',
          targetType: 'tenant',
          targetId: input.tenantId,
          before: { approval: 'pending' },
          after: { approval: status, reason: input.reason },
        });
      });
    },
  };
}

export type TenantApprovalActivities = ReturnType<typeof createTenantApprovalActivities>;
