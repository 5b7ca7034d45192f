// rotateSecret: rotates one secret by its kind's strategy with no moment without a valid value
// (workflows/secret-rotation/contract.ts; docs/decisions/0015). The old version stays current
// and valid until every consumer has been handed the new value and verified with it; only then
// does the new version become current, and the old one stays valid for the overlap window
// before it is retired. A failed or impossible update or verify rolls back: the old version is
// (still, or again) current, the consumers get it back, the new one is abandoned, and the
// tenant is alerted. The manual strategy mails a reminder and waits for a member's confirmation.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type {
  ManualConfirmation,
  RotateSecretInput,
  RotateSecretResult,
  RotateSecretStep,
  RotationOutcome,
  RotationPlan,
  RotationState,
} from './contract.ts';
import {
  confirmManualRotationUpdate,
  getRotationStateQuery,
  ROTATE_SECRET_KIND,
  ROTATE_SECRET_STEPS,
} from './contract.ts';

export async function rotateSecret(input: RotateSecretInput): Promise<RotateSecretResult> {
  const { tenantId, slug, secretId, number, requestedBy: actor, versionRetentionMs, timings } = input;
  // Every step is a database transaction, a secret store write or calls to the consumers'
  // hooks: retried a few times, then the rotation rolls back rather than waiting forever.
  const activities = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  // Undoing must happen: retried for as long as it takes.
  const undo = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
  const tracker = new StepTracker<RotateSecretStep>(ROTATE_SECRET_KIND, tenantId, ROTATE_SECRET_STEPS);
  const state: RotationState = { strategy: null, status: 'preparing' };
  setHandler(getRotationStateQuery, () => ({ ...state }));
  const ref = { tenantId, slug, secretId, number, actor, versionRetentionMs };

  const finish = (outcome: RotationOutcome, currentVersion: number): RotateSecretResult => {
    state.status = 'done';
    tracker.setPhase(outcome === 'completed' || outcome === 'confirmed' ? 'completed' : 'failed', failureNote);
    return { secretId, number, outcome, currentVersion, progress: tracker.snapshot() };
  };
  let failureNote: string | null = null;

  let plan: RotationPlan;
  try {
    plan = await tracker.run('prepare', () => activities.prepareRotation(ref));
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const message = describeFailure(error);
    await undo.failRotation({ ...ref, message });
    failureNote = message;
    for (const step of ROTATE_SECRET_STEPS) if (step.name !== 'prepare') tracker.skip(step.name, 'Not rotated.');
    const version = await undo.currentSecretVersion(ref);
    return finish('failed', version);
  }
  state.strategy = plan.strategy;

  if (plan.strategy === 'manual') {
    for (const step of ['create', 'update', 'verify', 'switch', 'retire'] as const)
      tracker.skip(step, 'Atrium cannot rotate this kind itself: the owners rotate it by hand.');
    const dueAt = new Date(Date.now() + plan.confirmWithinMs).toISOString();
    // Accepted from now on: a member may confirm while the reminder is still being mailed.
    let confirmation: ManualConfirmation | null = null;
    let confirming = false;
    state.status = 'waiting_confirmation';
    setHandler(
      confirmManualRotationUpdate,
      async (asked) => {
        confirming = true;
        const recorded = await undo.recordManualConfirmation({ ...ref, actor: asked.actor });
        confirmation = asked;
        return recorded;
      },
      {
        validator: (_asked: ManualConfirmation) => {
          if (state.status !== 'waiting_confirmation' || confirming)
            throw new Error('This rotation is not waiting for a confirmation.');
        },
      },
    );
    await tracker.run('remind', () => activities.sendRotationReminder({ ...ref, dueAt }));
    const confirmed = await tracker.run('confirm', () => condition(() => confirmation !== null, plan.confirmWithinMs));
    if (!confirmed) {
      // A confirmation that came at the last moment is recorded before this ends.
      await condition(allHandlersFinished);
      if (confirmation === null) {
        failureNote = `Nobody confirmed the manual rotation by ${dueAt}.`;
        tracker.fail('confirm', failureNote);
        await undo.markRotationUnconfirmed({ ...ref, dueAt });
        return finish('unconfirmed', plan.fromVersion);
      }
    }
    return finish('confirmed', plan.fromVersion);
  }

  for (const step of ['remind', 'confirm'] as const) tracker.skip(step, 'Atrium rotates this kind itself.');
  state.status = 'rotating';
  let toVersion: number | null = null;
  try {
    toVersion = (await tracker.run('create', () => activities.createRotationVersion(ref))).toVersion;
    const created = toVersion;
    const updated = await tracker.run('update', () =>
      activities.updateRotationConsumers({ ...ref, toVersion: created }),
    );
    if (!updated.ok) {
      tracker.fail('update', updated.message);
      throw ApplicationFailure.nonRetryable(updated.message, 'ConsumerUpdateFailed');
    }
    const verified = await tracker.run('verify', () =>
      activities.verifyRotationConsumers({ ...ref, toVersion: created }),
    );
    if (!verified.ok) {
      tracker.fail('verify', verified.message);
      throw ApplicationFailure.nonRetryable(verified.message, 'ConsumerVerifyFailed');
    }
    const switched = await tracker.run('switch', () =>
      activities.switchRotationVersion({ ...ref, toVersion: created, overlapMs: plan.overlapMs }),
    );
    log.info('Secret rotated; overlap window open', { secretId, number, overlapUntil: switched.overlapUntil });
  } catch (error) {
    if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
    const reason = describeFailure(error);
    failureNote = `Rolled back: ${reason}`;
    for (const step of ['update', 'verify', 'switch', 'retire'] as const)
      if (tracker.snapshot().steps.find((s) => s.name === step)?.status === 'pending')
        tracker.skip(step, 'Rolled back.');
    await undo.rollBackRotation({ ...ref, toVersion, reason });
    tracker.markCompensated('create');
    tracker.markCompensated('update');
    return finish('rolled_back', plan.fromVersion);
  }

  // Both values are valid now; the old one until the window ends.
  state.status = 'overlap';
  await sleep(plan.overlapMs);
  await tracker.run('retire', () => undo.retireOldVersion({ ...ref, toVersion }));
  return finish('completed', toVersion);
}
