// offboardTenant's `promotions` and `approvals` steps, before the namespaces go: every open
// promotion of the tenant (requested, awaiting approval, held, deploying) is ended — its
// workflow `promotion/<slug>/<environment>/<number>` cancelled (terminated if it does not close
// in time), then the promotion recorded `failed` with the detail "the tenant was offboarded",
// audited, with its `promotion.failed` event — and every approval request still pending is
// closed `rejected` with that reason, audited, with its `approval.decided` event, so no queue
// shows it and nobody can decide it. Nothing deploys into a namespace being deleted, and no
// approver is asked about a tenant that is gone. Each activity is retry-safe: it changes only
// what is still open, and a retry keeps the evidence the first attempt recorded.
import { findApprovalRequest } from '../../db/repositories/approvals.ts';
import { findPromotion, OPEN_PROMOTION_STATUSES, updatePromotion } from '../../db/repositories/promotions.ts';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import { emitApprovalDecided } from '../approvals/events.ts';
import { emitPromotionOutcome } from '../promotions/outcome-event.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { DEFAULT_CANCEL_WAIT_MS, endWorkflow } from './end-workflow.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

/** The detail of a promotion the offboarding ended, and the reason of an approval request it closed. */
export const OFFBOARDED_DETAIL = 'the tenant was offboarded';

type PromotionEvidence = NonNullable<TeardownSteps['promotions']>['promotions'][number];

export function createPromotionTeardownActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'temporal'>,
  /** `cancelWaitMs`: how long a cancelled workflow has to close before it is terminated (tests shorten it). */
  options: { cancelWaitMs?: number } = {},
) {
  const cancelWaitMs = options.cancelWaitMs ?? DEFAULT_CANCEL_WAIT_MS;

  /** Ends the promotion's workflow (it ends cancelled wherever it waits: the approval, a hold, a rollout watch). */
  const endPromotionWorkflow = (workflowId: string) =>
    endWorkflow(deps.temporal, workflowId, { cancelWaitMs, terminateReason: `Promotion ended: ${OFFBOARDED_DETAIL}.` });

  return {
    /**
     * The tenant's open promotions (requested, awaiting approval, held, deploying), oldest
     * first; opens the step's evidence in the report. Retry-safe: a read, and evidence already
     * opened is kept.
     */
    async listTenantOpenPromotions(
      input: OffboardingStepInput,
    ): Promise<{ promotions: Array<{ environment: string; number: number }> }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const rows = await db.query<Array<{ environment: string; number: number }>>(
          `SELECT environment, number FROM promotions WHERE tenant_id = $1 AND status = ANY($2)
            ORDER BY created_at, environment, number`,
          [input.tenantId, OPEN_PROMOTION_STATUSES],
        );
        if (!stepsOf(await reportOf(db, input.tenantId)).promotions)
          await recordStep(db, input.tenantId, 'promotions', { promotions: [] });
        return { promotions: rows };
      });
    },

    /**
     * Ends one promotion: cancels its workflow and waits until it closed, then records the
     * promotion `failed` ("the tenant was offboarded"), audited, with its `promotion.failed`
     * event, and the evidence in the report. A promotion that ended on its own meanwhile keeps
     * its outcome (the evidence says so). Retry-safe: a closed workflow is not cancelled again,
     * a promotion no longer open is not changed, and the first evidence recorded is kept.
     */
    async offboardPromotion(
      input: OffboardingStepInput & { environment: string; number: number },
    ): Promise<PromotionEvidence> {
      return tenantStep(deps, input, async (step) => {
        const found = await step.locked(({ db }) => findPromotion(db, input.tenantId, input.environment, input.number));
        if (!found) throw new Error(`Promotion ${input.environment}/${input.number} is not recorded.`);
        const workflow = { id: found.operation_id, status: await endPromotionWorkflow(found.operation_id) };
        return step.locked(async ({ db, auditChange, emit }) => {
          const before = stepsOf(await reportOf(db, input.tenantId)).promotions ?? { promotions: [] };
          const earlier = before.promotions.find(
            (item) => item.environment === input.environment && item.number === input.number,
          );
          if (earlier) return earlier;
          const row = await findPromotion(db, input.tenantId, input.environment, input.number, { lock: true });
          if (!row) throw new Error(`Promotion ${input.environment}/${input.number} is not recorded.`);
          const open = OPEN_PROMOTION_STATUSES.includes(row.status);
          if (open) {
            await updatePromotion(db, input.tenantId, input.environment, input.number, {
              status: 'failed',
              detail: OFFBOARDED_DETAIL,
              completed: true,
            });
            await auditChange(
              'promotion.failed',
              'promotion',
              `${input.environment}/${input.number}`,
              { status: row.status, ...(row.detail ? { detail: row.detail } : {}) },
              {
                status: 'failed',
                release: row.release_number,
                previousRelease: row.previous_release,
                detail: OFFBOARDED_DETAIL,
                workflow: workflow.status,
              },
            );
            await emitPromotionOutcome(emit, row, 'failed', OFFBOARDED_DETAIL);
          }
          const evidence: PromotionEvidence = {
            environment: row.environment,
            number: row.number,
            release: row.release_number,
            previousStatus: row.status,
            status: open ? 'failed' : row.status,
            endedByOffboarding: open,
            workflow,
            recordedAt: new Date().toISOString(),
          };
          await recordStep(db, input.tenantId, 'promotions', {
            ...before,
            promotions: [...before.promotions, evidence],
          });
          return evidence;
        });
      });
    },

    /**
     * Closes every approval request of the tenant still pending: `rejected` with the reason
     * "the tenant was offboarded", audited (`approval.closed`) with its `approval.decided`
     * event, so the approvals queues no longer show it. No mail: the requester's tenant is
     * closed. Retry-safe: only pending requests change; the evidence only grows.
     */
    async offboardApprovalRequests(input: OffboardingStepInput): Promise<{ closed: string[] }> {
      return lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const closed = await db.query<Array<{ id: string }>>(
          // Wrapped in a SELECT: TypeORM answers [rows, count] for a bare UPDATE ... RETURNING.
          `WITH closed AS (
             UPDATE approval_requests SET status = 'rejected', reason = $2, decided_by = NULL, closed_at = now()
              WHERE tenant_id = $1 AND status = 'pending' RETURNING id, created_at)
           SELECT id FROM closed ORDER BY created_at, id`,
          [input.tenantId, OFFBOARDED_DETAIL],
        );
        const closedAt = new Date().toISOString();
        const requests: NonNullable<TeardownSteps['approvals']>['requests'] = [];
        for (const { id } of closed) {
          const request = await findApprovalRequest(db, id);
          if (!request) throw new Error(`Approval request ${id} is not stored.`);
          await auditChange(
            'approval.closed',
            'approval_request',
            id,
            { status: 'pending' },
            { status: 'rejected', reason: OFFBOARDED_DETAIL },
          );
          await emitApprovalDecided(emit, request);
          requests.push({ id, subject: request.subject.label, closedAt });
        }
        const steps = stepsOf(await reportOf(db, input.tenantId));
        const earlier = steps.approvals?.requests ?? [];
        const all = [...earlier, ...requests];
        if (!steps.approvals || requests.length > 0)
          await recordStep(db, input.tenantId, 'approvals', { requests: all, completedAt: closedAt });
        return { closed: all.map((request) => request.id) };
      });
    },
  };
}
