// promoteRelease: one release into one environment. check → approval (only when the
// environment's policy has a rule with stages for it) → deploy → watch; a rollout that fails
// (or is not available in time) is rolled back to the release that ran there before, watched
// until that one is available again, and the promotion ends `rolled-back`. Every outcome is
// recorded on the promotion (audited) before the workflow ends; a refused, rejected, failed or
// rolled-back promotion ends the operation failed with the same detail.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
} from '@temporalio/workflow';
import type { PromotionActivities } from '../../activities/promotions/index.ts';
import { awaitApproval } from '../approvals/gate.ts';
import { applicableRule } from '../approvals/policy.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type { PromoteReleaseInput, PromoteReleaseResult, PromotionOutcome, PromotionStep } from './contract.ts';
import { PROMOTION_HOLD_PATCH, PROMOTION_KIND, PROMOTION_STEPS, recheckHoldSignal, releaseLabel } from './contract.ts';

const DEFAULT_HOLD_RECHECK_MS = 5 * 60_000;

type Watched = { ok: true; skipped: string | null } | { ok: false; reason: string };

export async function promoteRelease(input: PromoteReleaseInput): Promise<PromoteReleaseResult> {
  const { tenantId, slug, environment, number, release, requestedBy: actor, timings, rollout } = input;
  const base = { startToCloseTimeout: timings.startToCloseTimeoutMs, heartbeatTimeout: timings.heartbeatTimeoutMs };
  // Kubernetes: API server restarts, admission webhooks.
  const cluster = proxyActivities<PromotionActivities>({
    ...base,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
  });
  // Checking and recording must not give up early.
  const dbOptions = {
    ...base,
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 30 },
  };
  const db = proxyActivities<PromotionActivities>(dbOptions);
  const tracker = new StepTracker<PromotionStep>(PROMOTION_KIND, tenantId, PROMOTION_STEPS);
  const ref = { tenantId, slug, environment, number, actor };
  let previousRelease: number | null = null;
  let recheckHold = false;
  setHandler(recheckHoldSignal, () => {
    recheckHold = true;
  });

  const finish = async (status: PromotionOutcome, detail: string | null): Promise<PromoteReleaseResult> => {
    await tracker.run('record', () => db.recordPromotionOutcome({ ...ref, status, detail }));
    const result = { environment, number, release, status, previousRelease, detail, progress: tracker.snapshot() };
    if (status === 'succeeded') {
      tracker.setPhase('completed');
      return { ...result, progress: tracker.snapshot() };
    }
    tracker.setPhase('failed', detail);
    throw ApplicationFailure.nonRetryable(
      `Promoting release ${release} to "${environment}" of tenant "${slug}": ${status}${detail ? ` — ${detail}` : ''}`,
      `Promotion${status === 'rolled-back' ? 'RolledBack' : status === 'rejected' ? 'Rejected' : 'Failed'}`,
      // The operation page reads the progress from the failure's first detail.
      tracker.snapshot(),
    );
  };
  const skipRest = (from: PromotionStep[], reason: string) => {
    for (const step of from) tracker.skip(step, reason);
  };

  /** Reads the rollout until the release is available, failed, or the watch's time is up. */
  const watch = async (releaseNumber: number): Promise<Watched> => {
    const deadline = Date.now() + rollout.timeoutMs;
    const expected = releaseLabel(releaseNumber);
    for (;;) {
      const read = await cluster.readReleaseRollout(ref);
      if (read.skipped !== null) return { ok: true, skipped: read.skipped };
      const status = read.rollout;
      if (status && status.releaseId === expected && status.observedGeneration >= status.generation) {
        if (status.condition.state === 'available') return { ok: true, skipped: null };
        if (status.condition.state === 'failed')
          return { ok: false, reason: `${status.condition.reason}: ${status.condition.message}` };
      }
      if (Date.now() >= deadline)
        return {
          ok: false,
          reason: `not available within ${Math.round(rollout.timeoutMs / 1000)} s (${status ? `${status.condition.reason}: ${status.condition.message}` : 'no Deployment'})`,
        };
      await sleep(rollout.pollIntervalMs);
    }
  };

  /**
   * Waits while something holds the release back (a suspension, a freeze window, the soak
   * time), saying why on the step and the promotion; wakes when the hold should end, when the
   * API signals a change, and at least every `holdRecheckMs`. Throws when the hold turned
   * into a refusal (the environment went away).
   */
  const waitOutHolds = async (): Promise<void> => {
    const recheckMs = rollout.holdRecheckMs ?? DEFAULT_HOLD_RECHECK_MS;
    let recorded: string | null = null;
    for (;;) {
      const hold = await db.readPromotionHold({ ...ref, release });
      if (hold === null) {
        tracker.note('hold', null);
        return;
      }
      tracker.note('hold', hold.reason);
      if (hold.reason !== recorded) {
        await db.markPromotion({ ...ref, status: 'held', detail: hold.reason });
        recorded = hold.reason;
      }
      const untilMs = hold.until === null ? recheckMs : Date.parse(hold.until) - Date.now();
      recheckHold = false;
      await condition(() => recheckHold, Math.max(1_000, Math.min(untilMs, recheckMs)));
    }
  };

  // check: refusals are recorded on the promotion; nothing ran in the cluster.
  let checked: Awaited<ReturnType<PromotionActivities['checkPromotion']>>;
  try {
    checked = await tracker.run('check', () =>
      db.checkPromotion({ ...ref, release, requesterRole: input.requesterRole }),
    );
    previousRelease = checked.previousRelease;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    skipRest(['approval', 'hold', 'deploy', 'watch', 'rollback'], 'the promotion was refused');
    return finish('failed', describeFailure(error));
  }

  // approval: only when the environment's policy has stages for it.
  const rule = applicableRule(input.policy, { environment });
  if (!rule || rule.stages.length === 0) {
    tracker.skip('approval', `the approval policy asks for none in "${environment}"`);
  } else {
    const outcome = await tracker.run('approval', () =>
      awaitApproval({
        requestId: uuid4(),
        tenantId,
        subject: {
          kind: 'promotion',
          id: `${environment}/${number}`,
          label: `Release ${release} to ${environment} (${slug})`,
        },
        requesterId: input.requesterId,
        attributes: { environment },
        policy: input.policy,
        activityOptions: dbOptions,
        afterOpen: () => db.markPromotion({ ...ref, status: 'awaiting-approval' }),
      }),
    );
    // The deciding Update completes before anything else is scheduled, whatever interceptors
    // wrap its handler: the history's order does not depend on how many promise hops they add.
    await condition(allHandlersFinished);
    if (outcome.status === 'rejected') {
      const reason = outcome.decidedBy
        ? `rejected${outcome.reason ? `: ${outcome.reason}` : ''}`
        : (outcome.reason ?? 'no decision in time');
      tracker.fail('approval', reason);
      skipRest(['hold', 'deploy', 'watch', 'rollback'], 'the promotion was rejected');
      return finish('rejected', reason);
    }
  }

  // hold: nothing deploys during a freeze window, before the soak time in the previous
  // environment has passed, or while the tenant is suspended.
  if (patched(PROMOTION_HOLD_PATCH)) {
    try {
      await tracker.run('hold', waitOutHolds);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      skipRest(['deploy', 'watch', 'rollback'], 'the promotion was refused');
      return finish('failed', describeFailure(error));
    }
  } else {
    tracker.skip('hold', 'the promotion started before promotions waited out freeze windows');
  }

  // deploy + watch: `deployed` is how it went (null: it did not); recording happens outside
  // the try, so a failure to record is never taken for a failed rollout.
  let deployed: { detail: string | null } | null = null;
  let failure = '';
  try {
    const applied = await tracker.run('deploy', async () => {
      await db.markPromotion({ ...ref, status: 'deploying' });
      return cluster.applyReleaseDeployment({
        ...ref,
        release: checked.release,
        deployment: checked.deployment,
        progressDeadlineSeconds: rollout.progressDeadlineSeconds,
        rollback: false,
      });
    });
    if (applied.skipped !== null) {
      tracker.skip('deploy', applied.skipped);
      skipRest(['watch', 'rollback'], applied.skipped);
      deployed = { detail: applied.skipped };
    } else {
      const watched = await tracker.run('watch', () => watch(release));
      if (watched.ok) {
        tracker.skip('rollback', 'the release is available');
        deployed = { detail: null };
      } else {
        tracker.fail('watch', watched.reason);
        failure = `release ${release} did not become available (${watched.reason})`;
      }
    }
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    failure = `deploying release ${release} failed (${describeFailure(error)})`;
  }
  if (deployed) return finish('succeeded', deployed.detail);

  // rollback to the release that ran there before, if any.
  if (checked.previous === null) {
    tracker.skip('rollback', 'no earlier release ran in this environment');
    return finish('failed', `${failure}; no earlier release to roll back to`);
  }
  tracker.setPhase('compensating', failure);
  log.warn('Promotion failed; rolling back', { slug, environment, number, failure });
  const previous = checked.previous;
  let rollbackProblem: string | null = null;
  try {
    const back = await tracker.run('rollback', async () => {
      await cluster.applyReleaseDeployment({
        ...ref,
        release: previous,
        deployment: checked.deployment,
        progressDeadlineSeconds: rollout.progressDeadlineSeconds,
        rollback: true,
      });
      return watch(previous.number);
    });
    if (!back.ok) {
      tracker.markCompensationFailed('rollback', back.reason);
      rollbackProblem = `did not become available (${back.reason})`;
    }
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    rollbackProblem = `failed (${describeFailure(error)})`;
  }
  if (rollbackProblem !== null)
    return finish('failed', `${failure}; rolling back to release ${previous.number} ${rollbackProblem}`);
  return finish('rolled-back', `${failure}; rolled back to release ${previous.number}, available again`);
}
