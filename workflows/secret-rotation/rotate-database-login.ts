// rotateDatabaseLogin: rotates a tenant's database login with no moment without a working login
// (workflows/secret-rotation/contract.ts; docs/decisions/0032). The tenant has two logins that
// both have its owner role's privileges. The idle one gets a new password while the one in use is left
// alone; every consumer is handed the new credentials and proven to connect with them; only
// then is the new login current, and the old one keeps working for the overlap window before
// it is disabled. A failed step before the switch rolls back: the consumers get the old
// credentials back (they never stopped working), the new login is disabled, and the tenant is
// alerted.
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type {
  DatabaseLoginCheck,
  DatabaseLoginPlan,
  RotateDatabaseLoginInput,
  RotateDatabaseLoginResult,
  RotateDatabaseLoginStep,
} from './contract.ts';
import { ROTATE_DATABASE_LOGIN_KIND, ROTATE_DATABASE_LOGIN_STEPS } from './contract.ts';

export async function rotateDatabaseLogin(input: RotateDatabaseLoginInput): Promise<RotateDatabaseLoginResult> {
  const { tenantId, slug, rotationId, requestedBy: actor, overlapMs, timings } = input;
  // Each step is a transaction, a secret store write, a few cluster applies or one connection:
  // retried a few times, then the rotation rolls back rather than waiting forever.
  const activities = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  // Undoing, and finishing once switched, must happen: retried for as long as it takes.
  const persistent = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
  const tracker = new StepTracker<RotateDatabaseLoginStep>(
    ROTATE_DATABASE_LOGIN_KIND,
    tenantId,
    ROTATE_DATABASE_LOGIN_STEPS,
  );
  const ref = { tenantId, slug, rotationId, actor };
  let report: DatabaseLoginCheck[] = [];

  let plan: DatabaseLoginPlan | null = null;
  try {
    plan = await tracker.run('prepare', () => activities.prepareDatabaseLoginRotation(ref));
    await tracker.run('password', () => activities.setIdleLoginPassword(ref));
    report = (await tracker.run('update', () => activities.updateDatabaseLoginConsumers(ref))).consumers;
    const verified = await tracker.run('verify', () => activities.verifyDatabaseLoginConsumers(ref));
    report = verified.consumers;
    if (!verified.ok) {
      tracker.fail('verify', verified.message);
      throw ApplicationFailure.nonRetryable(verified.message, 'ConsumerVerifyFailed');
    }
  } catch (error) {
    if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
    const reason = describeFailure(error);
    for (const step of ROTATE_DATABASE_LOGIN_STEPS)
      if (tracker.snapshot().steps.find((s) => s.name === step.name)?.status === 'pending')
        tracker.skip(step.name, plan ? 'Rolled back.' : 'Not rotated.');
    const rolledBack = await persistent.rollBackDatabaseLoginRotation({ ...ref, reason });
    if (plan) {
      tracker.markCompensated('password');
      tracker.markCompensated('update');
    }
    tracker.setPhase('failed', plan ? `Rolled back: ${reason}` : reason);
    return {
      rotationId,
      outcome: plan ? 'rolled_back' : 'failed',
      currentLogin: rolledBack.currentLogin,
      report,
      progress: tracker.snapshot(),
    };
  }

  const verifiedConsumers = report.map((check) => check.consumer);
  await tracker.run('switch', () => persistent.switchDatabaseLogin({ ...ref, overlapMs, verified: verifiedConsumers }));
  // Both logins work now; the old one until the window ends.
  await sleep(overlapMs);
  await tracker.run('retire', () => persistent.retireOldDatabaseLogin(ref));
  tracker.setPhase('completed');
  return { rotationId, outcome: 'completed', currentLogin: plan.toLogin, report, progress: tracker.snapshot() };
}
