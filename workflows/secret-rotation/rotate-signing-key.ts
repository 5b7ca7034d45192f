// rotateSigningKey: rotates the platform's access-token signing key with no moment where a
// valid token is refused (workflows/secret-rotation/contract.ts; docs/decisions/0030). The new
// key is published before any process signs with it, signs only once every live API process
// holds it, and the old key stays published until every token it signed has expired. Each wait
// polls what the processes report (api_processes) every reload interval and keeps its last
// check as the rotation's report. A new key that does not reach every process in time is
// withdrawn before it ever signed, and the rotation ends failed with an alert.
import { ActivityFailure, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { describeFailure, StepTracker } from '../shared/step-tracker.ts';
import type {
  ApiProcessCheck,
  RotateSigningKeyInput,
  RotateSigningKeyResult,
  RotateSigningKeyStep,
} from './contract.ts';
import { ROTATE_SIGNING_KEY_KIND, ROTATE_SIGNING_KEY_STEPS } from './contract.ts';

/** The license keyring's own path through the steps (docs/decisions/0038). */
const LICENSE_KEYRING_PATCH = 'rotate-signing-key-license-keyring';

export async function rotateSigningKey(input: RotateSigningKeyInput): Promise<RotateSigningKeyResult> {
  const { rotationId, keyringPath, requestedBy: actor, timings, purpose } = input;
  const activities = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  // Once the new key signs there is no way back but forward: these steps retry as long as it takes.
  const persistent = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
  });
  const tracker = new StepTracker<RotateSigningKeyStep>(ROTATE_SIGNING_KEY_KIND, null, ROTATE_SIGNING_KEY_STEPS);
  const ref = purpose ? { rotationId, keyringPath, actor, purpose } : { rotationId, keyringPath, actor };
  const checks: RotateSigningKeyResult['checks'] = {};

  /**
   * Polls until every live API process (at least one) reports `keyringVersion`, and not before
   * `notBefore`; null when `deadline` passes first.
   */
  const waitForProcesses = async (
    step: RotateSigningKeyStep,
    keyringVersion: number,
    options: { notBefore?: number; deadline?: number } = {},
  ): Promise<ApiProcessCheck | null> => {
    for (;;) {
      const check = await persistent.checkApiProcesses({ keyringVersion, liveWithinMs: input.liveWithinMs });
      const done = check.processes.length > 0 && check.behind.length === 0;
      tracker.note(
        step,
        check.processes.length === 0
          ? 'No live API process reports: waiting for one.'
          : `${check.processes.length - check.behind.length} of ${check.processes.length} API process(es) hold keyring version ${keyringVersion}.`,
      );
      if (done && Date.now() >= (options.notBefore ?? 0)) return check;
      if (options.deadline !== undefined && Date.now() >= options.deadline) return null;
      await sleep(input.reloadIntervalMs);
    }
  };

  let published: { kid: string; keyringVersion: number; currentKid: string };
  try {
    published = await tracker.run('publish', () => activities.publishNextSigningKey(ref));
  } catch (error) {
    // Another rotation under way, or the store refusing for good: nothing was changed.
    if (!(error instanceof ActivityFailure)) throw error;
    const reason = describeFailure(error);
    for (const step of ROTATE_SIGNING_KEY_STEPS) if (step.name !== 'publish') tracker.skip(step.name, 'Not rotated.');
    tracker.setPhase('failed', reason);
    return { rotationId, outcome: 'refused', newKid: null, oldKid: null, checks, progress: tracker.snapshot() };
  }
  // The license keyring (docs/decisions/0038): no API process holds it; workers reread it before
  // every signing and verifiers fetch the license JWKS, where the new key is already published.
  if (purpose === 'licenses' && patched(LICENSE_KEYRING_PATCH)) {
    const licenseKey = published;
    await tracker.run('distribute', async () => {
      tracker.note('distribute', 'Published in the license JWKS; waiting one JWKS cache lifetime before it signs.');
      await sleep(input.jwksMaxAgeMs);
    });
    await tracker.run('switch', () =>
      persistent.switchSigningKey({
        ...ref,
        kid: licenseKey.kid,
        oldKid: licenseKey.currentKid,
        tokenLifetimeMs: input.tokenLifetimeMs,
      }),
    );
    tracker.skip('confirm', 'Workers reread the license keyring before every signing.');
    tracker.skip('expire', 'Licenses do not expire: the old public key stays in the license JWKS for good.');
    await tracker.run('remove', () => persistent.removeRetiredSigningKey({ ...ref, kid: licenseKey.currentKid }));
    tracker.skip('settle', 'No process holds the license keyring.');
    tracker.setPhase('completed');
    return {
      rotationId,
      outcome: 'completed',
      newKid: licenseKey.kid,
      oldKid: licenseKey.currentKid,
      checks,
      progress: tracker.snapshot(),
    };
  }
  const publishedAt = Date.now();
  const distributed = await tracker.run('distribute', () =>
    waitForProcesses('distribute', published.keyringVersion, {
      // A verifier that cached the JWKS just before the publish fetches it again by then.
      notBefore: publishedAt + input.jwksMaxAgeMs,
      deadline: publishedAt + Math.max(input.distributionTimeoutMs, input.jwksMaxAgeMs),
    }),
  );
  if (!distributed) {
    const reason = `Not every live API process held the new key ${published.kid} within ${Math.round(input.distributionTimeoutMs / 1000)}s: withdrawn, ${published.currentKid} still signs.`;
    tracker.fail('distribute', reason);
    await persistent.withdrawNextSigningKey({ ...ref, kid: published.kid, reason });
    tracker.markCompensated('publish');
    for (const step of ['switch', 'confirm', 'expire', 'remove', 'settle'] as const) tracker.skip(step, 'Withdrawn.');
    tracker.setPhase('failed', reason);
    return {
      rotationId,
      outcome: 'withdrawn',
      newKid: published.kid,
      oldKid: null,
      checks,
      progress: tracker.snapshot(),
    };
  }
  checks.publish = distributed;

  const switched = await tracker.run('switch', () =>
    persistent.switchSigningKey({
      ...ref,
      kid: published.kid,
      oldKid: published.currentKid,
      tokenLifetimeMs: input.tokenLifetimeMs,
    }),
  );
  // Without a deadline a wait ends with a check only.
  checks.switch = (await tracker.run('confirm', () => waitForProcesses('confirm', switched.keyringVersion)))!;
  // Every live process signed with the new key when it reported; the old key's last token
  // expires at most a token lifetime (and the skew) after the check.
  await tracker.run('expire', () => sleep(input.tokenLifetimeMs));
  const removed = await tracker.run('remove', () =>
    persistent.removeRetiredSigningKey({ ...ref, kid: published.currentKid }),
  );
  checks.remove = (await tracker.run('settle', () => waitForProcesses('settle', removed.keyringVersion)))!;
  tracker.setPhase('completed');
  return {
    rotationId,
    outcome: 'completed',
    newKid: published.kid,
    oldKid: published.currentKid,
    checks,
    progress: tracker.snapshot(),
  };
}
