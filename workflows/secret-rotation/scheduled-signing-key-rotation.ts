// scheduledSigningKeyRotation: what a signing-key rotation policy's Temporal Schedule starts at
// each due time (docs/decisions/0038). It names a new rotation after its own run id (unique per
// due time, the same on replay; not uuid4(), whose values shift when an interceptor draws on the
// workflow's randomness) and runs rotateSigningKey as its child under that rotation's own id,
// `signing-key-rotate/<deployment>/<rotation id>`, exactly as a platform admin's "rotate now"
// does. A rotation still under way when the next is due is skipped by the Schedule (overlap
// SKIP); one started by hand meanwhile makes this one end `refused`, changing nothing.
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { OperationKindSearchAttribute } from '../shared/operation.contract.ts';
import type { ScheduledSigningKeyRotationInput, ScheduledSigningKeyRotationResult } from './contract.ts';
import { ROTATE_SIGNING_KEY_KIND, rotateSigningKeyWorkflowId } from './contract.ts';
import { rotateSigningKey } from './rotate-signing-key.ts';

export async function scheduledSigningKeyRotation(
  input: ScheduledSigningKeyRotationInput,
): Promise<ScheduledSigningKeyRotationResult> {
  const { deployment, ...rotation } = input;
  const rotationId = workflowInfo().runId;
  const result = await executeChild(rotateSigningKey, {
    workflowId: rotateSigningKeyWorkflowId(deployment, rotationId),
    args: [{ ...rotation, rotationId }],
    typedSearchAttributes: [{ key: OperationKindSearchAttribute, value: ROTATE_SIGNING_KEY_KIND }],
  });
  return { rotationId, outcome: result.outcome };
}
