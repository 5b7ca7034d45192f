// Starts rotateDatabaseLogin (docs/decisions/0032) for a tenant under a new rotation id, with the
// overlap window DATABASE_LOGIN_OVERLAP.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { newRotationId } from '../../integrations/secrets/signing-keyring.ts';
import type { rotateDatabaseLogin } from '../../workflows/secret-rotation/rotate-database-login.ts';
import { ROTATE_DATABASE_LOGIN_KIND, rotateDatabaseLoginWorkflowId } from '../../workflows/secret-rotation/contract.ts';
import type { ApiDeps } from '../deps.ts';
import type { StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export async function startDatabaseLoginRotation(
  deps: ApiDeps,
  tenant: { tenantId: string; slug: string },
  requestedBy: AuditActor,
): Promise<StartResult & { rotationId: string }> {
  const rotationId = newRotationId();
  const started = await startOperation(
    {
      client: deps.temporal.client,
      taskQueuePrefix: deps.temporal.taskQueuePrefix,
      timings: deps.settings.activityTimings,
    },
    {
      kind: ROTATE_DATABASE_LOGIN_KIND,
      workflowId: rotateDatabaseLoginWorkflowId(tenant.slug, rotationId),
      tenantId: tenant.tenantId,
      args: [
        {
          tenantId: tenant.tenantId,
          slug: tenant.slug,
          rotationId,
          requestedBy,
          overlapMs: deps.settings.secrets.databaseLoginOverlapMs,
          timings: deps.settings.activityTimings,
        },
      ] satisfies Parameters<typeof rotateDatabaseLogin>,
    },
  );
  return { ...started, rotationId };
}
