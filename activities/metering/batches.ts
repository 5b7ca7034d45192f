// Tenants in batches (reconcileMetering, patch `metering-batched-tenants`): one activity call
// reports, reads back or signs up to METERING_TENANT_BATCH tenants, one after the other, each
// exactly as its single-tenant activity does — its own transactions, scoped to the tenant
// (row-level security) and under its lock, its rows written `pending` before each call to the
// provider. A run over 50 tenants pays two activity round trips per step instead of 50.
// Retry-safe as the single-tenant activities are: a retried batch repeats tenants already done,
// which find their rows written and send nothing twice; their answers come from the rows their
// run wrote (tagged by the workflow), so a repeat answers the same.
import type { CheckWindowsResult, MeteringTenant, ReportWindowsResult } from '../../workflows/metering/contract.ts';
import type { createRecordActivities } from './records.ts';
import type { createWindowActivities } from './windows.ts';

type WindowActivities = ReturnType<typeof createWindowActivities>;
type RecordActivities = ReturnType<typeof createRecordActivities>;
type PerTenant<A extends (input: never) => unknown> = Omit<Parameters<A>[0], keyof MeteringTenant>;

async function eachTenant<R>(
  tenants: readonly MeteringTenant[],
  work: (tenant: MeteringTenant) => Promise<R>,
): Promise<Array<R & { tenantId: string }>> {
  const results: Array<R & { tenantId: string }> = [];
  for (const tenant of tenants) results.push({ ...(await work(tenant)), tenantId: tenant.tenantId });
  return results;
}

export function createBatchActivities(windows: WindowActivities, records: RecordActivities) {
  return {
    /** reportTenantWindows for each tenant of the batch, in order. */
    async reportTenantBatch(
      input: PerTenant<WindowActivities['reportTenantWindows']> & { tenants: MeteringTenant[] },
    ): Promise<Array<ReportWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return eachTenant(tenants, (tenant) => windows.reportTenantWindows({ ...rest, ...tenant }));
    },

    /** checkTenantWindows for each tenant of the batch, in order. */
    async checkTenantBatch(
      input: PerTenant<WindowActivities['checkTenantWindows']> & { tenants: MeteringTenant[] },
    ): Promise<Array<CheckWindowsResult & { tenantId: string }>> {
      const { tenants, ...rest } = input;
      return eachTenant(tenants, (tenant) => windows.checkTenantWindows({ ...rest, ...tenant }));
    },

    /** signReconciliationRecords for each tenant of the batch, in order. */
    async signTenantBatch(input: {
      tenants: MeteringTenant[];
      signedAt: string;
    }): Promise<Array<{ signed: number; tenantId: string }>> {
      const { tenants, signedAt } = input;
      return eachTenant(tenants, (tenant) => records.signReconciliationRecords({ ...tenant, signedAt }));
    },
  };
}
