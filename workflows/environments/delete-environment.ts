// deleteEnvironment: deletes the environment's namespace and waits until the cluster no longer
// has it, then marks the environment deleted (its name free again). A deletion that fails for
// good leaves the environment `failed` with the reason; deleting it again retries.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { EnvironmentActivities } from '../../activities/environments/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { DeleteEnvironmentStep, EnvironmentWorkflowInput, EnvironmentWorkflowResult } from './contract.ts';
import { DELETE_ENVIRONMENT_KIND, DELETE_ENVIRONMENT_STEPS } from './contract.ts';

export async function deleteEnvironment(input: EnvironmentWorkflowInput): Promise<EnvironmentWorkflowResult> {
  const { tenantId, slug, environment, requestedBy: actor, timings } = input;
  const activities = proxyActivities<EnvironmentActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  const tracker = new StepTracker<DeleteEnvironmentStep>(DELETE_ENVIRONMENT_KIND, tenantId, DELETE_ENVIRONMENT_STEPS);
  const ref = { tenantId, slug, environment, actor };

  let deleted: { namespace: string; skipped: string | null };
  try {
    deleted = await tracker.run('namespace', () => activities.deleteEnvironmentNamespace(ref));
    if (deleted.skipped !== null) tracker.skip('namespace', deleted.skipped);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = describeFailure(error);
    await activities.recordEnvironmentStatus({ ...ref, status: 'failed', detail: `Deleting failed: ${reason}` });
    tracker.setPhase('failed', reason);
    throw ApplicationFailure.nonRetryable(
      `Deleting environment "${environment}" of tenant "${slug}" failed: ${reason}`,
      'EnvironmentDeleteFailed',
      tracker.snapshot(),
    );
  }
  await tracker.run('record', () =>
    activities.recordEnvironmentStatus({ ...ref, status: 'deleted', detail: deleted.skipped }),
  );
  tracker.setPhase('completed');
  return {
    environment,
    namespace: deleted.namespace,
    status: 'deleted',
    skipped: deleted.skipped,
    progress: tracker.snapshot(),
  };
}
