// The event a promotion's end emits (contracts/events.ts: promotion.succeeded, .failed,
// .rolled_back, .rejected), written once for the two places that end a promotion: its own
// workflow (recordPromotionOutcome) and an offboarding that ends it while it is open
// (activities/tenant-offboarding/promotions.ts). Call it in the transaction that records the
// outcome, and only when that transaction changed the status, so a retry emits nothing twice.
import type { EventType } from '../../contracts/events.ts';
import type { PromotionStatus } from '../../contracts/promotions.ts';
import type { PromotionRow } from '../../db/repositories/promotions.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';

export type PromotionOutcomeStatus = Extract<PromotionStatus, 'succeeded' | 'rolled-back' | 'failed' | 'rejected'>;

/** The event type of each outcome: the audit action's name (`promotion.rolled_back`). */
export const PROMOTION_OUTCOME_EVENTS = {
  succeeded: 'promotion.succeeded',
  'rolled-back': 'promotion.rolled_back',
  failed: 'promotion.failed',
  rejected: 'promotion.rejected',
} as const satisfies Record<PromotionOutcomeStatus, EventType>;

/**
 * Emits the outcome of `row` (the promotion as it was before the outcome was recorded: its
 * release, previous release and operation), ended `status` with `detail`.
 */
export async function emitPromotionOutcome(
  emit: TenantStepTransaction['emit'],
  row: Pick<PromotionRow, 'environment' | 'number' | 'release_number' | 'previous_release' | 'operation_id'>,
  status: PromotionOutcomeStatus,
  detail: string | null,
): Promise<void> {
  await emit(PROMOTION_OUTCOME_EVENTS[status], {
    environment: row.environment,
    number: row.number,
    release: row.release_number,
    previousRelease: row.previous_release,
    status,
    detail,
    operationId: row.operation_id,
  });
}
