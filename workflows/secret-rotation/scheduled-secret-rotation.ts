// scheduledSecretRotation: what a rotation policy's Temporal Schedule starts at each due time.
// It claims the next rotation number (nothing when the secret is gone, has no policy any more,
// already rotates, or its tenant is not active: a suspended tenant's rotations wait) and runs
// rotateSecret as its child under the rotation's own id, `secret-rotate/<slug>/<secret>/<n>`.
import { executeChild, proxyActivities } from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../shared/operation.contract.ts';
import type { ScheduledRotationInput, ScheduledRotationResult } from './contract.ts';
import { ROTATE_SECRET_KIND, rotateSecretWorkflowId } from './contract.ts';
import { rotateSecret } from './rotate-secret.ts';

export async function scheduledSecretRotation(input: ScheduledRotationInput): Promise<ScheduledRotationResult> {
  const { tenantId, slug, secretId, versionRetentionMs, timings } = input;
  const activities = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  const claim = await activities.claimScheduledRotation({ tenantId, slug, secretId });
  if (claim.number === null) return { number: null, skipped: claim.skipped, outcome: null };
  const result = await executeChild(rotateSecret, {
    workflowId: rotateSecretWorkflowId(slug, secretId, claim.number),
    args: [{ tenantId, slug, secretId, number: claim.number, requestedBy: claim.actor, versionRetentionMs, timings }],
    typedSearchAttributes: [
      { key: TenantIdSearchAttribute, value: tenantId },
      { key: OperationKindSearchAttribute, value: ROTATE_SECRET_KIND },
    ],
  });
  return { number: claim.number, skipped: null, outcome: result.outcome };
}
