// Which tenants a reconciliation run works on.
import type { MeteringTenant } from '../../workflows/metering/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { platformStep } from '../shared/kernel.ts';

export function createMeteringTenantActivities(deps: Pick<ActivityDeps, 'dataSource'>) {
  return {
    /**
     * The tenants with usage in the run's windows, or with windows already recorded there (to
     * read back and re-sign), whatever their status: a suspended tenant is still metered.
     * Retry-safe: a read.
     */
    async listMeteringTenants(input: { closedBefore: string; scanFrom: string }): Promise<MeteringTenant[]> {
      return platformStep(deps, {}, (step) =>
        step.transaction(({ db }) =>
          db.query<MeteringTenant[]>(
            `SELECT t.id AS "tenantId", t.slug FROM tenants t
             WHERE EXISTS (SELECT 1 FROM usage_events u
                           WHERE u.tenant_id = t.id AND u.occurred_at >= $1 AND u.occurred_at < $2)
                OR EXISTS (SELECT 1 FROM metering_windows w WHERE w.tenant_id = t.id AND w.window_start >= $1)
             ORDER BY t.slug`,
            [input.scanFrom, input.closedBefore],
          ),
        ),
      );
    },
  };
}
