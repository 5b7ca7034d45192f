// changeSecretWithApproval and revealSecretWithApproval (./approval-contract.ts): a change or
// a reveal of a production(-protected) secret waits for the approval its environment's policy
// asks for, on the approval primitive. Deterministic; only references travel (never a value).
import { allHandlersFinished, ApplicationFailure, condition, proxyActivities } from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { awaitApproval } from '../approvals/gate.ts';
import type { ApprovalResult } from '../approvals/contract.ts';
import { StepTracker } from '../shared/step-tracker.ts';
import type {
  ChangeSecretInput,
  RevealSecretInput,
  SecretApprovalInput,
  SecretApprovalResult,
  SecretChangeStep,
  SecretRevealStep,
} from './approval-contract.ts';
import {
  SECRET_CHANGE_KIND,
  SECRET_CHANGE_STEPS,
  SECRET_REVEAL_KIND,
  SECRET_REVEAL_STEPS,
} from './approval-contract.ts';

function activitiesFor(input: SecretApprovalInput) {
  const activityOptions = {
    startToCloseTimeout: input.timings.startToCloseTimeoutMs,
    heartbeatTimeout: input.timings.heartbeatTimeoutMs,
    // No maximum: a decided request must be carried out (non-retryable failures end it at once).
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
  };
  return { activityOptions, activities: proxyActivities<SecretRotationActivities>(activityOptions) };
}

async function approvalOf(
  input: SecretApprovalInput,
  kind: typeof SECRET_CHANGE_KIND | typeof SECRET_REVEAL_KIND,
  label: string,
  activityOptions: ReturnType<typeof activitiesFor>['activityOptions'],
): Promise<ApprovalResult> {
  const result = await awaitApproval({
    requestId: input.approval.requestId,
    tenantId: input.tenantId,
    subject: { kind, id: `${input.slug}/${input.secretId}/${input.number}`, label },
    requesterId: input.approval.requesterId,
    attributes: { environment: input.environment },
    policy: input.approval.policy,
    activityOptions,
  });
  // The deciding Update completes before anything else is scheduled, whatever interceptors
  // wrap its handler: the history's order does not depend on how many promise hops they add.
  await condition(allHandlersFinished);
  return result;
}

const rejectionOf = (result: ApprovalResult): string =>
  result.decidedBy ? `rejected: ${result.reason ?? 'no reason given'}` : (result.reason ?? 'no decision in time');

export async function changeSecretWithApproval(input: ChangeSecretInput): Promise<SecretApprovalResult> {
  const { activities, activityOptions } = activitiesFor(input);
  const tracker = new StepTracker<SecretChangeStep>(SECRET_CHANGE_KIND, input.tenantId, SECRET_CHANGE_STEPS);
  const ref = {
    tenantId: input.tenantId,
    actor: input.requestedBy,
    secretId: input.secretId,
    kind: 'change' as const,
    number: input.number,
  };
  const label = `New value of secret ${input.name} (${input.environment})`;
  const result = await tracker.run('approval', () => approvalOf(input, SECRET_CHANGE_KIND, label, activityOptions));
  if (result.status !== 'approved') {
    const reason = rejectionOf(result);
    tracker.fail('approval', reason);
    await tracker.run('apply', () => activities.discardStagedSecretVersion({ ...ref, reason }));
    const message = `The new value of secret ${input.name} was not approved (${reason}); it was destroyed and the current version is unchanged.`;
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'SecretChangeNotApproved', tracker.snapshot());
  }
  const applied = await tracker.run('apply', () =>
    activities.applyStagedSecretVersion({
      ...ref,
      versionRetentionMs: input.versionRetentionMs,
      approvedBy: result.decidedBy?.userId ?? null,
      approvalRequestId: result.requestId,
    }),
  );
  if (applied.version === null) {
    const message = applied.detail ?? `The new value of secret ${input.name} was not applied.`;
    tracker.fail('apply', message);
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'SecretChangeFailed', tracker.snapshot());
  }
  tracker.setPhase('completed');
  return {
    secretId: input.secretId,
    number: input.number,
    outcome: 'applied',
    version: applied.version,
    grantExpiresAt: null,
    progress: tracker.snapshot(),
  };
}

export async function revealSecretWithApproval(input: RevealSecretInput): Promise<SecretApprovalResult> {
  const { activities, activityOptions } = activitiesFor(input);
  const tracker = new StepTracker<SecretRevealStep>(SECRET_REVEAL_KIND, input.tenantId, SECRET_REVEAL_STEPS);
  const ref = {
    tenantId: input.tenantId,
    actor: input.requestedBy,
    secretId: input.secretId,
    kind: 'reveal' as const,
    number: input.number,
  };
  const label = `Reveal of version ${input.version} of secret ${input.name} (${input.environment})`;
  const result = await tracker.run('approval', () => approvalOf(input, SECRET_REVEAL_KIND, label, activityOptions));
  if (result.status !== 'approved') {
    const reason = rejectionOf(result);
    tracker.fail('approval', reason);
    await activities.refuseSecretReveal({ ...ref, reason });
    tracker.skip('grant', 'the reveal was not approved');
    const message = `The reveal of secret ${input.name} was not approved (${reason}).`;
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'SecretRevealNotApproved', tracker.snapshot());
  }
  const granted = await tracker.run('grant', () =>
    activities.grantSecretReveal({
      ...ref,
      grantWindowMs: input.grantWindowMs,
      approvedBy: result.decidedBy?.userId ?? null,
      approvalRequestId: result.requestId,
    }),
  );
  if (!granted.granted) {
    const message = `The reveal of secret ${input.name} could not be granted.`;
    tracker.fail('grant', message);
    tracker.setPhase('failed', message);
    throw ApplicationFailure.nonRetryable(message, 'SecretRevealFailed', tracker.snapshot());
  }
  tracker.setPhase('completed');
  return {
    secretId: input.secretId,
    number: input.number,
    outcome: 'granted',
    version: input.version,
    grantExpiresAt: granted.grantExpiresAt,
    progress: tracker.snapshot(),
  };
}
