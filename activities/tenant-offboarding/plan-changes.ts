// offboardTenant's `plan-changes` step, after the promotions and before the approvals step:
// the tenant's open plan change (requested, awaiting approval, or a downgrade scheduled for the
// period's end) is ended — its workflow `tenant-plan/<slug>/<number>` cancelled (terminated if
// it does not close in time), then the change recorded `cancelled` with the detail "the tenant
// was offboarded", audited (`plan_change.cancelled`). Without it the change went on waiting for
// an approval nobody could give any more (the approvals step closes its request) until
// APPROVAL_TIMEOUT, or for a period end after the subscription was gone. The approvals step
// that follows closes the change's approval request. Each activity is retry-safe: it changes
// only a change still open, and a retry keeps the evidence the first attempt recorded.
import { findPlanChange, updatePlanChange } from '../../db/repositories/plan-changes.ts';
import type { PlanChangeRow } from '../../db/repositories/plan-changes.ts';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import { changePlanWorkflowId } from '../../workflows/billing/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { DEFAULT_CANCEL_WAIT_MS, endWorkflow } from './end-workflow.ts';
import { OFFBOARDED_DETAIL } from './promotions.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

/** A plan change is open while its workflow may still act or wait (the one-open-change index). */
export const OPEN_PLAN_CHANGE_STATUSES: ReadonlyArray<PlanChangeRow['status']> = [
  'requested',
  'awaiting-approval',
  'scheduled',
];

type PlanChangeEvidence = NonNullable<TeardownSteps['planChanges']>['planChanges'][number];

export function createPlanChangeTeardownActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'temporal'>,
  /** `cancelWaitMs`: how long a cancelled workflow has to close before it is terminated (tests shorten it). */
  options: { cancelWaitMs?: number } = {},
) {
  const cancelWaitMs = options.cancelWaitMs ?? DEFAULT_CANCEL_WAIT_MS;

  return {
    /**
     * The tenant's open plan changes (at most one), oldest first; opens the step's evidence in
     * the report. Retry-safe: a read, and evidence already opened is kept.
     */
    async listTenantOpenPlanChanges(input: OffboardingStepInput): Promise<{ numbers: number[] }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const rows = await db.query<Array<{ number: number }>>(
          `SELECT number FROM plan_changes WHERE tenant_id = $1 AND status = ANY($2) ORDER BY number`,
          [input.tenantId, OPEN_PLAN_CHANGE_STATUSES],
        );
        if (!stepsOf(await reportOf(db, input.tenantId)).planChanges)
          await recordStep(db, input.tenantId, 'planChanges', { planChanges: [] });
        return { numbers: rows.map((row) => Number(row.number)) };
      });
    },

    /**
     * Ends one plan change: cancels its workflow and waits until it closed (it ends cancelled
     * wherever it waits: the approval, the period's end), then records the change `cancelled`
     * ("the tenant was offboarded"), audited, and the evidence in the report. A change that
     * ended on its own meanwhile keeps its outcome (the evidence says so). Retry-safe: a closed
     * workflow is not cancelled again, a change no longer open is not changed, and the first
     * evidence recorded is kept.
     */
    async offboardPlanChange(input: OffboardingStepInput & { number: number }): Promise<PlanChangeEvidence> {
      return tenantStep(deps, input, async (step) => {
        const found = await step.locked(({ db }) => findPlanChange(db, input.tenantId, input.number));
        if (!found) throw new Error(`Plan change ${input.number} is not recorded.`);
        const workflowId = changePlanWorkflowId(input.slug, input.number);
        const workflow = {
          id: workflowId,
          status: await endWorkflow(deps.temporal, workflowId, {
            cancelWaitMs,
            terminateReason: `Plan change ended: ${OFFBOARDED_DETAIL}.`,
          }),
        };
        return step.locked(async ({ db, auditChange }) => {
          const before = stepsOf(await reportOf(db, input.tenantId)).planChanges ?? { planChanges: [] };
          const earlier = before.planChanges.find((item) => item.number === input.number);
          if (earlier) return earlier;
          const [row] = await db.query<PlanChangeRow[]>(
            `SELECT * FROM plan_changes WHERE tenant_id = $1 AND number = $2 FOR UPDATE`,
            [input.tenantId, input.number],
          );
          if (!row) throw new Error(`Plan change ${input.number} is not recorded.`);
          const open = OPEN_PLAN_CHANGE_STATUSES.includes(row.status);
          if (open) {
            await updatePlanChange(db, input.tenantId, input.number, { status: 'cancelled', detail: OFFBOARDED_DETAIL });
            await auditChange(
              'plan_change.cancelled',
              'plan_change',
              String(input.number),
              { status: row.status },
              { status: 'cancelled', to: row.to_plan, detail: OFFBOARDED_DETAIL, workflow: workflow.status },
            );
          }
          const evidence: PlanChangeEvidence = {
            number: Number(row.number),
            from: row.from_plan,
            to: row.to_plan,
            previousStatus: row.status,
            status: open ? 'cancelled' : row.status,
            endedByOffboarding: open,
            workflow,
            recordedAt: new Date().toISOString(),
          };
          await recordStep(db, input.tenantId, 'planChanges', {
            ...before,
            planChanges: [...before.planChanges, evidence],
          });
          return evidence;
        });
      });
    },
  };
}
