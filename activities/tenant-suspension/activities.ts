// Activities of suspendTenant and reactivateTenant. Each is safe to retry: it works under
// the tenant's lock, changes only what is not yet in the wanted state, records what it
// applied in the suspension's row (tenant_suspensions) and audits only a real change, in
// the same transaction. Cluster calls run outside the transaction (activities/shared/
// kernel.ts heartbeats around both, and fails the step at once on a cluster error a retry
// would repeat, such as a 403).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import {
  closeSuspension,
  ensureSuspension,
  findSuspension,
  recordSuspensionApplied,
} from '../../db/repositories/tenant-suspensions.ts';
import { findTenantById, setTenantStatus } from '../../db/repositories/tenants.ts';
import { listWebhookEndpoints } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';

/** What a step reports: done, or skipped with the reason (shown in the operation). */
export interface StepOutcome {
  skipped: string | null;
}

export function createTenantSuspensionActivities(deps: Pick<ActivityDeps, 'dataSource' | 'cluster'>) {
  const { cluster } = deps;
  return {
    /**
     * Opens suspension `number` and marks the tenant suspended. Retry-safe: the row is
     * inserted if absent (keyed by tenant and number) and the status changes once.
     */
    async blockTenant(input: { tenantId: string; number: number; reason: string; actor: AuditActor }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
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
        await auditChange(
          'tenant.suspended',
          'tenant',
          input.tenantId,
          { status: 'active' },
          { status: 'suspended', reason: input.reason, suspension: input.number },
        );
        await emit('tenant.suspended', {
          tenantId: input.tenantId,
          slug: tenant.slug,
          reason: input.reason,
          suspension: input.number,
        });
      });
      Context.current().log.info('Tenant API closed', { number: input.number });
    },

    /**
     * Revokes the live refresh-token families its single sign-on started. Retry-safe:
     * revoked families are not counted again; the first count recorded is kept.
     */
    async revokeTenantSessions(input: { tenantId: string; number: number; actor: AuditActor }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
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
          await audit('tenant.sessions_revoked', 'tenant', input.tenantId, {
            sessions: revoked.length,
            suspension: input.number,
          });
      });
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
      return tenantStep(deps, input, async (step) => {
        const outcome = await cluster.port.scaleDownTenant(input.slug);
        await step.locked(async ({ db, audit }) => {
          const suspension = await findSuspension(db, input.tenantId, input.number);
          if (suspension?.workloads || suspension?.workloads_skipped) return;
          if (outcome.status === 'skipped') {
            await recordSuspensionApplied(db, input.tenantId, input.number, { workloadsSkipped: outcome.reason });
            return;
          }
          await recordSuspensionApplied(db, input.tenantId, input.number, { workloads: outcome.result });
          if (outcome.result.length > 0)
            await audit('tenant.workloads_scaled_down', 'tenant', input.tenantId, {
              workloads: outcome.result.map((w) => `${w.kind}/${w.namespace}/${w.name}:${w.previousReplicas}`),
              suspension: input.number,
            });
        });
        return { skipped: outcome.status === 'skipped' ? outcome.reason : null };
      });
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
      return tenantStep(deps, input, async (step) => {
        const suspension = await step.locked(({ db }) => findSuspension(db, input.tenantId, input.number));
        if (!suspension)
          throw ApplicationFailure.nonRetryable(
            `Tenant ${input.tenantId} has no suspension ${input.number} to reverse.`,
            'SuspensionMissing',
          );
        if (suspension.workloads_skipped)
          return { skipped: `nothing was scaled down (${suspension.workloads_skipped})` };
        const outcome = await cluster.port.restoreTenantScale(input.slug);
        if (outcome.status === 'skipped') return { skipped: outcome.reason };
        if (outcome.result.length > 0)
          await step.locked(({ audit }) =>
            audit('tenant.workloads_restored', 'tenant', input.tenantId, {
              workloads: outcome.result.map((w) => `${w.kind}/${w.namespace}/${w.name}:${w.replicas}`),
              suspension: input.number,
            }),
          );
        return { skipped: null };
      });
    },

    /** Reopens the API and closes the suspension. Retry-safe: suspended → active once. */
    async unblockTenant(input: { tenantId: string; number: number; actor: AuditActor }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        const closed = await closeSuspension(
          db,
          input.tenantId,
          input.number,
          input.actor.type === 'user' ? input.actor.id : null,
        );
        if (tenant?.status !== 'suspended') return;
        await setTenantStatus(db, input.tenantId, 'active');
        await auditChange(
          'tenant.reactivated',
          'tenant',
          input.tenantId,
          { status: 'suspended' },
          { status: 'active', suspension: input.number, closed },
        );
        await emit('tenant.reactivated', { tenantId: input.tenantId, slug: tenant.slug, suspension: input.number });
      });
      Context.current().log.info('Tenant API reopened', { number: input.number });
    },

    /**
     * The tenant's endpoints that may have deliveries waiting (not disabled): reactivation
     * wakes their sequencers. Retry-safe: it only reads.
     */
    async listResumableWebhookEndpoints(input: { tenantId: string }): Promise<{ endpointIds: string[] }> {
      return tenantStep(deps, input, () =>
        withTenantScope(deps.dataSource, input.tenantId, async (db) => ({
          endpointIds: (await listWebhookEndpoints(db, input.tenantId))
            .filter((endpoint) => endpoint.status !== 'disabled')
            .map((endpoint) => endpoint.id),
        })),
      );
    },
  };
}
