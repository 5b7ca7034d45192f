// changePlan's steps: does the tenant fit the plan, when does its billing period end, move the
// subscription, apply the plan's quotas in the cluster, record the plan with a new license, and
// keep the change's row (plan_changes) saying where it stands.
import type { PlanBlocker } from '../../contracts/plans.ts';
import { findPlanChange, updatePlanChange } from '../../db/repositories/plan-changes.ts';
import { countPlanUsage } from '../../db/repositories/plan-usage.ts';
import type { PlanChangeRow } from '../../db/repositories/plan-changes.ts';
import { readTenantResources } from '../../db/repositories/tenant-resources.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import { planBlockers } from '../../workflows/shared/plan-fit.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { ensureTenantLicense } from '../shared/tenant-license.ts';

export function createPlanChangeActivities(deps: Pick<ActivityDeps, 'dataSource' | 'billing' | 'cluster' | 'license'>) {
  return {
    /** What the tenant would have to remove before `plan` fits (empty: it fits). Reads only. */
    async checkPlanFits(input: TenantActivityInput & { plan: PlanName }): Promise<{ blockers: PlanBlocker[] }> {
      return lockedTenantStep(deps, input, async ({ db }) => ({
        blockers: planBlockers(await countPlanUsage(db, input.tenantId), input.plan),
      }));
    },

    /** When the tenant's billing period ends (ms since the epoch); null without a subscription. */
    async readBillingPeriodEnd(input: TenantActivityInput): Promise<{ currentPeriodEnd: number | null }> {
      return tenantStep(deps, input, async (step) => {
        const { billingSubscriptionId } = await step.locked(({ db }) => readTenantResources(db, input.tenantId));
        if (!billingSubscriptionId) return { currentPeriodEnd: null };
        const period = await deps.billing.describeSubscription({
          tenantId: input.tenantId,
          subscriptionId: billingSubscriptionId,
        });
        return { currentPeriodEnd: period.currentPeriodEnd?.getTime() ?? null };
      });
    },

    /**
     * Moves the subscription to the plan's price. Retry-safe: the provider returns the first
     * answer to the same idempotency key (the local adapter sets a value).
     */
    async changeSubscriptionPlan(
      input: TenantActivityInput & { plan: PlanName; prorate: boolean; idempotencyKey: string },
    ): Promise<{ skipped: string | null; subscriptionId: string | null }> {
      return tenantStep(deps, input, async (step) => {
        const { billingSubscriptionId } = await step.locked(({ db }) => readTenantResources(db, input.tenantId));
        if (!billingSubscriptionId)
          return { skipped: 'The tenant has no subscription to change.', subscriptionId: null };
        await deps.billing.changeSubscriptionPlan(
          { tenantId: input.tenantId, subscriptionId: billingSubscriptionId, plan: input.plan, prorate: input.prorate },
          input.idempotencyKey,
        );
        await step.locked(({ audit }) =>
          audit('billing.subscription_plan_changed', 'billing_subscription', billingSubscriptionId, {
            plan: input.plan,
            prorate: input.prorate,
          }),
        );
        return { skipped: null, subscriptionId: billingSubscriptionId };
      });
    },

    /** The plan's ResourceQuota and LimitRange in each of the tenant's namespaces (server-side apply). */
    async applyPlanQuotas(
      input: TenantActivityInput & { slug: string; plan: PlanName },
    ): Promise<{ skipped: string | null; namespaces: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const { clusterNamespaces } = await step.locked(({ db }) => readTenantResources(db, input.tenantId));
        const limits = planDefinition(input.plan).cluster;
        const applied: string[] = [];
        // Every namespace recorded for the tenant: the environments it was provisioned with and
        // those created since (docs/decisions/0019).
        const prefix = tenantNamespaceName(input.slug, '');
        for (const name of clusterNamespaces) {
          if (!name.startsWith(prefix)) continue;
          const environment = name.slice(prefix.length);
          const outcome = await deps.cluster.port.ensureResourceLimits(
            { tenantId: input.tenantId, slug: input.slug, environment },
            limits,
          );
          if (outcome.status === 'skipped') return { skipped: outcome.reason, namespaces: [] };
          applied.push(name);
        }
        if (applied.length === 0) return { skipped: 'The tenant has no namespaces.', namespaces: [] };
        await step.locked(({ audit }) =>
          audit('tenant.quotas_changed', 'tenant', input.tenantId, { plan: input.plan, namespaces: applied }),
        );
        return { skipped: null, namespaces: applied };
      });
    },

    /**
     * Records the plan on the tenant, reissues its license for it, and marks the change applied,
     * in one transaction: audited and announced (`tenant.plan_changed`) once, however often retried.
     */
    async applyPlanChange(
      input: TenantActivityInput & { slug: string; number: number; plan: PlanName },
    ): Promise<{ licenseId: string }> {
      return lockedTenantStep(deps, input, async ({ db, audit, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) throw new Error(`Tenant ${input.tenantId} is gone.`);
        const license = await ensureTenantLicense(db, deps.license, {
          tenantId: input.tenantId,
          slug: input.slug,
          plan: input.plan,
        });
        if (tenant.plan !== input.plan) {
          await db.query(`UPDATE tenants SET plan = $2, updated_at = now() WHERE id = $1`, [
            input.tenantId,
            input.plan,
          ]);
          await auditChange(
            'tenant.plan_changed',
            'tenant',
            input.tenantId,
            { plan: tenant.plan },
            { plan: input.plan, planChange: input.number },
          );
          await emit('tenant.plan_changed', {
            tenantId: input.tenantId,
            slug: input.slug,
            from: tenant.plan,
            to: input.plan,
            licenseId: license.licenseId,
          });
        }
        if (license.issued)
          await audit('tenant.license_issued', 'license', license.licenseId, {
            tier: license.tier,
            keyId: license.keyId,
            features: planDefinition(input.plan).features,
            planChange: input.number,
          });
        const row = await findPlanChange(db, input.tenantId, input.number);
        if (row && row.status !== 'applied') {
          await updatePlanChange(db, input.tenantId, input.number, {
            status: 'applied',
            effectiveAt: new Date(),
            licenseId: license.licenseId,
          });
          await auditChange(
            'plan_change.applied',
            'plan_change',
            String(input.number),
            { status: row.status },
            {
              status: 'applied',
              plan: input.plan,
            },
          );
        }
        return { licenseId: license.licenseId };
      });
    },

    /** Moves the change's row to `status` (scheduled, refused, cancelled, failed), audited once. */
    async recordPlanChangeStatus(
      input: TenantActivityInput & {
        number: number;
        /** `requested` again: an approved change goes on (audited as `plan_change.approved`). */
        status: Exclude<PlanChangeRow['status'], 'applied'>;
        /** A scheduled change: when it takes effect (ms since the epoch). */
        effectiveAt?: number;
        detail?: string;
      },
    ): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const row = await findPlanChange(db, input.tenantId, input.number);
        if (!row || row.status === input.status) return;
        await updatePlanChange(db, input.tenantId, input.number, {
          status: input.status,
          ...(input.effectiveAt !== undefined ? { effectiveAt: new Date(input.effectiveAt) } : {}),
          ...(input.detail !== undefined ? { detail: input.detail } : {}),
        });
        const approved = row.status === 'awaiting-approval' && input.status === 'requested';
        await auditChange(
          // Audit actions are snake_case (`awaiting-approval` is audited `plan_change.awaiting_approval`).
          approved ? 'plan_change.approved' : `plan_change.${input.status.replaceAll('-', '_')}`,
          'plan_change',
          String(input.number),
          { status: row.status },
          {
            status: input.status,
            to: row.to_plan,
            ...(input.effectiveAt !== undefined ? { effectiveAt: new Date(input.effectiveAt).toISOString() } : {}),
            ...(input.detail !== undefined ? { detail: input.detail } : {}),
          },
        );
      });
    },
  };
}
