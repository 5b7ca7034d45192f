// createEnvironment: the namespace of a new environment, then the environment ready. A namespace
// step that fails for good is undone (the namespace deleted, so nothing half-built stays) and the
// environment ends `failed` with the reason; deleting it then frees its name and its place.
import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { EnvironmentActivities } from '../../activities/environments/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { CreateEnvironmentStep, EnvironmentWorkflowInput, EnvironmentWorkflowResult } from './contract.ts';
import { CREATE_ENVIRONMENT_KIND, CREATE_ENVIRONMENT_STEPS } from './contract.ts';

export async function createEnvironment(input: EnvironmentWorkflowInput): Promise<EnvironmentWorkflowResult> {
  const { tenantId, slug, environment, requestedBy: actor, timings } = input;
  const base = { startToCloseTimeout: timings.startToCloseTimeoutMs, heartbeatTimeout: timings.heartbeatTimeoutMs };
  // Kubernetes: API server restarts, admission webhooks.
  const cluster = proxyActivities<EnvironmentActivities>({
    ...base,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  // Undoing and recording must not give up early.
  const db = proxyActivities<EnvironmentActivities>({
    ...base,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
  });
  const tracker = new StepTracker<CreateEnvironmentStep>(CREATE_ENVIRONMENT_KIND, tenantId, CREATE_ENVIRONMENT_STEPS);
  const ref = { tenantId, slug, environment, actor };

  let made: { namespace: string; skipped: string | null };
  try {
    made = await tracker.run('namespace', () => cluster.createEnvironmentNamespace(ref));
    if (made.skipped !== null) tracker.skip('namespace', made.skipped);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = describeFailure(error);
    tracker.setPhase('compensating', reason);
    log.warn('Creating the environment failed; deleting its namespace', { slug, environment, reason });
    let detail = reason;
    try {
      await db.deleteEnvironmentNamespace(ref);
      tracker.markCompensated('namespace');
    } catch (undoError) {
      if (!(undoError instanceof ActivityFailure)) throw undoError;
      const problem = describeFailure(undoError);
      tracker.markCompensationFailed('namespace', problem);
      detail = `${reason} (cleanup incomplete — ${problem})`;
    }
    await db.recordEnvironmentStatus({ ...ref, status: 'failed', detail });
    tracker.setPhase('failed', detail);
    throw ApplicationFailure.nonRetryable(
      `Creating environment "${environment}" of tenant "${slug}" failed: ${detail}`,
      'EnvironmentCreateFailed',
      tracker.snapshot(),
    );
  }
  await tracker.run('ready', () => db.recordEnvironmentStatus({ ...ref, status: 'ready', detail: made.skipped }));
  tracker.setPhase('completed');
  return {
    environment,
    namespace: made.namespace,
    status: 'ready',
    skipped: made.skipped,
    progress: tracker.snapshot(),
  };
}
