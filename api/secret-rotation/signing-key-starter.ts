// Starts rotateSigningKey (docs/decisions/0030, 0038) under a new rotation id, with the timings
// every API process runs by: how often processes reread the keyring, how long the JWKS is cached,
// and how long a token lives (its TTL, the verifier's clock skew and one reload interval, so a
// process that switched just after the check is covered too). A rotation policy's Schedule
// (./signing-key-policies.ts) starts scheduledSigningKeyRotation with the same input.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { SigningKeyPurpose } from '../../integrations/secrets/signing-keyring.ts';
import { newRotationId, signingKeyringPath } from '../../integrations/secrets/signing-keyring.ts';
import type { rotateSigningKey } from '../../workflows/secret-rotation/rotate-signing-key.ts';
import type { RotateSigningKeyInput } from '../../workflows/secret-rotation/contract.ts';
import { ROTATE_SIGNING_KEY_KIND, rotateSigningKeyWorkflowId } from '../../workflows/secret-rotation/contract.ts';
import { CLOCK_TOLERANCE_S } from '../auth/access-tokens.ts';
import type { ApiDeps } from '../deps.ts';
import type { StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';
import { LIVE_WITHIN_RELOADS } from '../signing-keys.ts';

/** A rotation's input but its id (a Schedule's runs each make their own). */
export function signingKeyRotationInput(
  deps: ApiDeps,
  requestedBy: AuditActor,
  purpose: SigningKeyPurpose,
): Omit<RotateSigningKeyInput, 'rotationId'> {
  const keys = deps.settings.signingKeys;
  return {
    // Absent for access tokens, so their input is what it was before licenses had a keyring.
    ...(purpose === 'licenses' ? { purpose } : {}),
    keyringPath: signingKeyringPath(deps.temporal.taskQueuePrefix, purpose),
    requestedBy,
    reloadIntervalMs: keys.reloadIntervalMs,
    liveWithinMs: LIVE_WITHIN_RELOADS * keys.reloadIntervalMs,
    distributionTimeoutMs: keys.distributionTimeoutMs,
    jwksMaxAgeMs: keys.jwksMaxAgeMs,
    tokenLifetimeMs: keys.accessTokenTtlMs + CLOCK_TOLERANCE_S * 1000 + keys.reloadIntervalMs,
    timings: deps.settings.activityTimings,
  };
}

export function startSigningKeyRotation(
  deps: ApiDeps,
  requestedBy: AuditActor,
  purpose: SigningKeyPurpose = 'access-tokens',
): Promise<StartResult> {
  const rotationId = newRotationId();
  return startOperation(
    {
      client: deps.temporal.client,
      taskQueuePrefix: deps.temporal.taskQueuePrefix,
      timings: deps.settings.activityTimings,
    },
    {
      kind: ROTATE_SIGNING_KEY_KIND,
      workflowId: rotateSigningKeyWorkflowId(deps.temporal.taskQueuePrefix, rotationId),
      tenantId: null,
      args: [{ rotationId, ...signingKeyRotationInput(deps, requestedBy, purpose) }] satisfies Parameters<
        typeof rotateSigningKey
      >,
    },
  );
}
