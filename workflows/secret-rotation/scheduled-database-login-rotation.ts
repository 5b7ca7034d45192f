// scheduledDatabaseLoginRotation: what a tenant's database login rotation policy's Temporal
// Schedule (`database-login-rotation/<slug>`, docs/decisions/0036) starts at each due time. It
// asks whether to rotate (nothing when the tenant is not active — a suspended tenant's rotations
// wait —, the policy is gone, or a rotation of the tenant is still open) and runs
// rotateDatabaseLogin as its child under a rotation id of its own,
// `database-login-rotate/<slug>/scheduled-<start ms>`, so the live operation view shows it like one
// started by an admin.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import { OperationKindSearchAttribute, TenantIdSearchAttribute } from '../shared/operation.contract.ts';
import type { ScheduledDatabaseLoginRotationInput, ScheduledDatabaseLoginRotationResult } from './contract.ts';
import { ROTATE_DATABASE_LOGIN_KIND, rotateDatabaseLoginWorkflowId } from './contract.ts';
import { rotateDatabaseLogin } from './rotate-database-login.ts';

export async function scheduledDatabaseLoginRotation(
  input: ScheduledDatabaseLoginRotationInput,
): Promise<ScheduledDatabaseLoginRotationResult> {
  const { tenantId, slug, overlapMs, timings } = input;
  const activities = proxyActivities<SecretRotationActivities>({
    startToCloseTimeout: timings.startToCloseTimeoutMs,
    heartbeatTimeout: timings.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
  const claim = await activities.checkScheduledDatabaseLoginRotation({ tenantId, slug });
  if (claim.skipped !== null) return { rotationId: null, skipped: claim.skipped, outcome: null };
  // From the run's start (its history's first event), so a replay names the same rotation; one
  // Schedule never starts two runs in the same millisecond (overlap SKIP, interval >= 1s).
  const rotationId = `scheduled-${workflowInfo().startTime.getTime()}`;
  const result = await executeChild(rotateDatabaseLogin, {
    workflowId: rotateDatabaseLoginWorkflowId(slug, rotationId),
    args: [{ tenantId, slug, rotationId, requestedBy: claim.actor, overlapMs, timings }],
    typedSearchAttributes: [
      { key: TenantIdSearchAttribute, value: tenantId },
      { key: OperationKindSearchAttribute, value: ROTATE_DATABASE_LOGIN_KIND },
    ],
  });
  return { rotationId, skipped: null, outcome: result.outcome };
}
