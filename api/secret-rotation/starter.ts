// Starts rotateSecret for a claimed rotation (secret_rotations row). Idempotent: the workflow ID
// names the tenant, the secret and the rotation's number.
import type { rotateSecret } from '../../workflows/secret-rotation/rotate-secret.ts';
import type { RotateSecretInput } from '../../workflows/secret-rotation/contract.ts';
import { ROTATE_SECRET_KIND, rotateSecretWorkflowId } from '../../workflows/secret-rotation/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startRotation(
  options: StarterOptions,
  input: Omit<RotateSecretInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    kind: ROTATE_SECRET_KIND,
    workflowId: rotateSecretWorkflowId(input.slug, input.secretId, input.number),
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof rotateSecret>,
  });
}
