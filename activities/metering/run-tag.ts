// The run a metering activity works for: its rows carry it, so a retried activity counts the
// same rows and answers the same.
import { Context } from '@temporalio/activity';

/**
 * The reconciliation run's workflow id (reconcileMetering's, or the offboarding that runs a
 * tenant's final reconciliation), with the phase (`report`, `check-2`) when given.
 */
export function meteringRunTag(phase?: string): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution)
    throw new Error('Metering activities run inside a workflow (reconcileMetering, offboardTenant) only.');
  return phase ? `${execution.workflowId}/${phase}` : execution.workflowId;
}
