// A reconciliation run started now, besides the Schedule's (an operator re-running windows
// after fixing their cause): `metering-reconcile/<deployment>/manual-<time>`, through the one
// starter. Runs are idempotent (docs/decisions/0027), so one beside a scheduled run only
// repeats what it finds done.
import type { reconcileMetering } from '../../workflows/metering/reconcile-metering.ts';
import { meteringScheduleId, RECONCILE_METERING_KIND } from '../../workflows/metering/contract.ts';
import type { ApiDeps } from '../deps.ts';
import type { StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startMeteringReconciliation(deps: ApiDeps, requestedAt: Date): Promise<StartResult> {
  const workflowId = `${meteringScheduleId(deps.temporal.taskQueuePrefix)}/manual-${requestedAt.toISOString()}`;
  return startOperation(
    {
      client: deps.temporal.client,
      taskQueuePrefix: deps.temporal.taskQueuePrefix,
      timings: deps.settings.activityTimings,
    },
    {
      kind: RECONCILE_METERING_KIND,
      workflowId,
      tenantId: null,
      args: [{ policy: deps.settings.metering.policy, timings: deps.settings.activityTimings }] satisfies Parameters<
        typeof reconcileMetering
      >,
    },
  );
}
