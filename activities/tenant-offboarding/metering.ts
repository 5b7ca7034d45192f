// offboardTenant's `metering` step, after the tenant's final reconciliation (run by the
// metering family's activities: workflows/metering/reconcile-tenant-now.ts) and before its
// billing customer is deleted: the teardown report records what that reconciliation left —
// per meter, the usage Atrium counted, what it reported and what the billing provider counted
// back; the windows flagged for a person; and the signed records the tenant can still verify.
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import type { TenantReconciliationResult } from '../../workflows/metering/reconcile-tenant-now.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

type MeteringEvidence = NonNullable<TeardownSteps['metering']>;

export function createMeteringTeardownActivities(deps: KernelDeps) {
  return {
    /**
     * Records the final reconciliation's evidence in the teardown report, read from
     * metering_windows and metering_reconciliations as the reconciliation left them; answers
     * with its counts. Retry-safe: a read and one overwrite of the step's evidence.
     */
    async recordFinalReconciliation(
      input: OffboardingStepInput & TenantReconciliationResult,
    ): Promise<{ windows: number; unreported: number; flagged: number; records: number }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        await reportOf(db, input.tenantId);
        const meters = await db.query<MeteringEvidence['meters']>(
          `SELECT meter, count(*)::int AS windows, trim_scale(sum(usage_total))::text AS "usageTotal",
                  trim_scale(sum(expected))::text AS reported,
                  trim_scale(sum(stripe_count))::text AS "providerCounted",
                  count(*) FILTER (WHERE usage_total <> expected AND status <> 'flagged')::int AS unreported
           FROM metering_windows WHERE tenant_id = $1 AND window_start < $2
           GROUP BY meter ORDER BY meter`,
          [input.tenantId, input.closedBefore],
        );
        const flagged = await db.query<MeteringEvidence['flagged']>(
          `SELECT meter || '@' || to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "window",
                  flag, trim_scale(unbilled)::text AS unbilled
           FROM metering_windows WHERE tenant_id = $1 AND status = 'flagged'
           ORDER BY meter, window_start`,
          [input.tenantId],
        );
        const records = await db.query<MeteringEvidence['records']>(
          `SELECT to_char(period, 'YYYY-MM-DD') AS period, revision, key_id AS "keyId"
           FROM metering_reconciliations WHERE tenant_id = $1 ORDER BY period`,
          [input.tenantId],
        );
        const evidence: MeteringEvidence = {
          closedBefore: input.closedBefore,
          reported: input.reported,
          corrections: input.corrections,
          rounds: input.rounds,
          signed: input.signed,
          meters,
          flagged,
          records,
          completedAt: new Date().toISOString(),
        };
        await recordStep(db, input.tenantId, 'metering', evidence);
        return {
          windows: meters.reduce((sum, m) => sum + m.windows, 0),
          unreported: meters.reduce((sum, m) => sum + m.unreported, 0),
          flagged: flagged.length,
          records: records.length,
        };
      });
    },
  };
}
