// Activities of suspendTenant and reactivateTenant. Each is safe to retry: it works under
// the tenant's lock, changes only what is not yet in the wanted state, records what it
// applied in the suspension's row (tenant_suspensions) and audits only a real change, in
// the same transaction.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import {
  closeSuspension,
  ensureSuspension,
  findSuspension,
  recordSuspensionApplied,
} from '../../db/repositories/tenant-suspensions.ts';
import { findTenantById, setTenantStatus } from '../../db/repositories/tenants.ts';
import type { Cluster } from '../../integrations/cluster/port.ts';
import { addLogContext } from '../../logging/context.ts';
import { heartbeatWhile } from '../shared/heartbeat.ts';
import { withTenantLock } from '../shared/tenant-lock.ts';

export interface TenantSuspensionActivityDeps {
  dataSource: DataSource;
  cluster: { port: Cluster };
}

/** What a step reports: done, or skipped with the reason (shown in the operation). */
export interface StepOutcome {
  skipped: string | null;
}

export function createTenantSuspensionActivities({ dataSource, cluster }: TenantSuspensionActivityDeps) {
  return {
    /**
     * Opens suspension `number` and marks the tenant suspended. Retry-safe: the row is
     * inserted if absent (keyed by tenant and number) and the status changes once.
     */
    async blockTenant(input: { tenantId: string; number: number; reason: string; actor: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const tenant = await findTenantById(db, input.tenantId);
          if (!tenant)
            throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
          await ensureSuspension(db, {
            tenantId: input.tenantId,
            number: input.number,
            reason: input.reason,
            requestedBy: input.actor.type === 'user' ? input.actor.id : null,
          });
          if (tenant.status === 'suspended') return;
          if (tenant.status !== 'active')
            throw ApplicationFailure.nonRetryable(
              `Only an active tenant can be suspended; "${tenant.slug}" is ${tenant.status}.`,
              'TenantNotSuspendable',
            );
          await setTenantStatus(db, input.tenantId, 'suspended');
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.suspended',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: 'active' },
            after: { status: 'suspended', reason: input.reason, suspension: input.number },
          });
        }),
      );
      Context.current().log.info('Tenant API closed', { number: input.number });
    },

    /**
     * Revokes the live refresh-token families its single sign-on started. Retry-safe:
     * revoked families are not counted again; the first count recorded is kept.
     */
    async revokeTenantSessions(input: { tenantId: string; number: number; actor: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const suspension = await findSuspension(db, input.tenantId, input.number);
          if (suspension?.sessions_revoked !== null && suspension?.sessions_revoked !== undefined) return;
          const revoked = await db.query<Array<{ family_id: string }>>(
            `WITH revoked AS (
               UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'tenant_suspended'
               WHERE sso_tenant_id = $1 AND revoked_at IS NULL RETURNING family_id
             )
             SELECT DISTINCT family_id FROM revoked`,
            [input.tenantId],
          );
          await recordSuspensionApplied(db, input.tenantId, input.number, { sessionsRevoked: revoked.length });
          if (revoked.length > 0)
            await appendAuditEntry(db, {
              tenantId: input.tenantId,
              actor: input.actor,
              action: 'tenant.sessions_revoked',
              targetType: 'tenant',
              targetId: input.tenantId,
              after: { sessions: revoked.length, suspension: input.number },
            });
        }),
      );
    },

    /**
     * Scales the tenant's Deployments and StatefulSets to zero. Retry-safe: the cluster port
     * keeps the first replica count it recorded, and the row keeps the first list.
     */
    async scaleDownTenantWorkloads(input: {
      tenantId: string;
      slug: string;
      number: number;
      actor: AuditActor;
    }): Promise<StepOutcome> {
      addLogContext({ tenantId: input.tenantId });
      const outcome = await heartbeatWhile(() => cluster.port.scaleDownTenant(input.slug));
      await withTenantLock(dataSource, input.tenantId, async (db) => {
        const suspension = await findSuspension(db, input.tenantId, input.number);
        if (suspension?.workloads || suspension?.workloads_skipped) return;
        if (outcome.status === 'skipped') {
          await recordSuspensionApplied(db, input.tenantId, input.number, { workloadsSkipped: outcome.reason });
          return;
        }
        await recordSuspensionApplied(db, input.tenantId, input.number, { workloads: outcome.result });
        if (outcome.result.length > 0)
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.workloads_scaled_down',
            targetType: 'tenant',
            targetId: input.tenantId,
            after: {
              workloads: outcome.result.map((w) => `${w.kind}/${w.namespace}/${w.name}:${w.previousReplicas}`),
              suspension: input.number,
            },
          });
      });
      return { skipped: outcome.status === 'skipped' ? outcome.reason : null };
    },

    /**
     * Brings back the replica counts the suspension recorded (the cluster port reads them
     * from each workload's annotation, which only scale-down writes). Retry-safe: restored
     * workloads no longer carry the annotation and are left alone.
     */
    async restoreTenantWorkloads(input: {
      tenantId: string;
      slug: string;
      number: number;
      actor: AuditActor;
    }): Promise<StepOutcome> {
      addLogContext({ tenantId: input.tenantId });
      const suspension = await withTenantLock(dataSource, input.tenantId, (db) =>
        findSuspension(db, input.tenantId, input.number),
      );
      if (!suspension)
        throw ApplicationFailure.nonRetryable(
          `Tenant ${input.tenantId} has no suspension ${input.number} to reverse.`,
          'SuspensionMissing',
        );
      if (suspension.workloads_skipped) return { skipped: `nothing was scaled down (${suspension.workloads_skipped})` };
      const outcome = await heartbeatWhile(() => cluster.port.restoreTenantScale(input.slug));
      if (outcome.status === 'skipped') return { skipped: outcome.reason };
      if (outcome.result.length > 0)
        await withTenantLock(dataSource, input.tenantId, (db) =>
          appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.workloads_restored',
            targetType: 'tenant',
            targetId: input.tenantId,
            after: {
              workloads: outcome.result.map((w) => `${w.kind}/${w.namespace}/${w.name}:${w.replicas}`),
              suspension: input.number,
            },
          }),
        );
      return { skipped: null };
    },

    /** Reopens the API and closes the suspension. Retry-safe: suspended → active once. */
    async unblockTenant(input: { tenantId: string; number: number; actor: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const tenant = await findTenantById(db, input.tenantId);
          const closed = await closeSuspension(
            db,
            input.tenantId,
            input.number,
            input.actor.type === 'user' ? input.actor.id : null,
          );
          if (tenant?.status !== 'suspended') return;
          await setTenantStatus(db, input.tenantId, 'active');
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.reactivated',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: 'suspended' },
            after: { status: 'active', suspension: input.number, closed },
          });
        }),
      );
      Context.current().log.info('Tenant API reopened', { number: input.number });
    },
  };
}

export type TenantSuspensionActivities = ReturnType<typeof createTenantSuspensionActivities>;
