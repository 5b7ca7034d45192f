// Starts promoteRelease. Idempotent: the workflow ID names the tenant, the environment and the
// promotion's number, so a repeated start finds the running workflow.
import type { promoteRelease } from '../../workflows/promotions/promote-release.ts';
import type { PromoteReleaseInput } from '../../workflows/promotions/contract.ts';
import { PROMOTION_KIND, promotionWorkflowId } from '../../workflows/promotions/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startPromotion(
  options: StarterOptions,
  input: Omit<PromoteReleaseInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    kind: PROMOTION_KIND,
    workflowId: promotionWorkflowId(input.slug, input.environment, input.number),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof promoteRelease>,
  });
}
