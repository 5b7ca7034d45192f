// Tenants in batches (reconcileMetering, patch `metering-batched-tenants`): one activity call
// reports, reads back or signs up to METERING_TENANT_BATCH tenants, a few at once (TENANTS_AT_ONCE),
// each exactly as its single-tenant activity does — its own transactions, scoped to the tenant
// (row-level security) and under its lock, its rows written `pending` before each call to the
// provider. A run over 50 tenants pays two activity round trips per step instead of 50.
// Retry-safe as the single-tenant activities are: a retried batch repeats tenants already done,
// which find their rows written and send nothing twice; their answers come from the rows their
// run wrote (tagged by the workflow), so a repeat answers the same.
import type { CheckWindowsResult, MeteringTenant, ReportWindowsResult } from '../../workflows/metering/contract.ts';
import { withLogContext } from '../../logging/context.ts';
import type { createRecordActivities } from './records.ts';
import type { createWindowActivities } from './windows.ts';

type WindowActivities = ReturnType<typeof createWindowActivities>;
type RecordActivities = ReturnType<typeof createRecordActivities>;
type PerTenant<A extends (input: never) => unknown> = Omit<Parameters<A>[0], keyof MeteringTenant>;

/**
 * Tenants of a batch in flight at once. A tenant's work is mostly waiting (its transactions, the
 * provider's answers), so a few at once keep the connection and the provider busy; each holds
 * one pooled connection at a time (its lock is the transaction's), so a small pool only makes
 * them take turns.
 */
export const TENANTS_AT_ONCE = 4;

/**
 * `work` for every tenant, TENANTS_AT_ONCE at a time, the results in the tenants' order. After
 * a failure no tenant is started, the ones running finish, and the first failure is thrown: a
 * retry of the batch never runs beside a tenant of the failed attempt.
 */
async function eachTenant<R>(
  tenants: readonly MeteringTenant[],
  work: (tenant: MeteringTenant) => Promise<R>,
): Promise<Array<R & { tenantId: string }>> {
  const results: Array<R & { tenantId: string }> = [];
  const failures: unknown[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (failures.length === 0 && next < tenants.length) {
      const index = next++;
      const tenant = tenants[index]!;
      try {
        // Its own log context: tenantStep names the tenant in it, and lanes must not share one.
        const result = await withLogContext({ tenantId: tenant.tenantId }, () => work(tenant));
        results[index] = { ...result, tenantId: tenant.tenantId };
      } catch (error) {
        failures.push(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(TENANTS_AT_ONCE, tenants.length) }, lane));
  if (failures.length > 0) throw failures[0];
  return results;
}

export function createBatchActivities(windows: WindowActivities, records: RecordActivities) {
  return {
    /** reportTenantWindows for each tenant of the batch (results in its order). */
    async reportTenantBatch(
      input: PerTenant<WindowActivities['reportTenantWindows']> & { tenants: MeteringTenant[] },
    ): Promise<Array<ReportWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return eachTenant(tenants, (tenant) => windows.reportTenantWindows({ ...rest, ...tenant }));
    },

    /** checkTenantWindows for each tenant of the batch (results in its order). */
    async checkTenantBatch(
      input: PerTenant<WindowActivities['checkTenantWindows']> & { tenants: MeteringTenant[] },
    ): Promise<Array<CheckWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return eachTenant(tenants, (tenant) => windows.checkTenantWindows({ ...rest, ...tenant }));
    },

    /** signReconciliationRecords for each tenant of the batch (results in its order). */
    async signTenantBatch(input: {
      tenants: MeteringTenant[];
      signedAt: string;
    }): Promise<Array<{ signed: number; tenantId: string }>> {
      const { tenants, signedAt } = input;
      return eachTenant(tenants, (tenant) => records.signReconciliationRecords({ ...tenant, signedAt }));
    },
  };
}
