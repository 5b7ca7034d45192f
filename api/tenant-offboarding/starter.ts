// Starts offboardTenant and asks it to cancel. Starting is idempotent: the workflow ID names
// the tenant (`tenant-offboard/<slug>`), so two requests start one run and both get it
// ("already started" for the same tenant is success). After a cancelled run the ID may be
// used again (the API only starts one for an active or suspended tenant).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { offboardTenant } from '../../workflows/tenant-offboarding/offboard-tenant.ts';
import type { OffboardTenantInput, OffboardTenantResult } from '../../workflows/tenant-offboarding/contract.ts';
import {
  cancelOffboardingSignal,
  OFFBOARD_TENANT_KIND,
  offboardingStateQuery,
  offboardTenantWorkflowId,
} from '../../workflows/tenant-offboarding/contract.ts';
import type { StarterOptions, StartResult } from '../operations/start-operation.ts';
import { startOperation } from '../operations/start-operation.ts';

export function startTenantOffboarding(
  options: StarterOptions,
  input: Omit<OffboardTenantInput, 'timings'>,
): Promise<StartResult> {
  return startOperation(options, {
    workflowId: offboardTenantWorkflowId(input.slug),
    kind: OFFBOARD_TENANT_KIND,
    tenantId: input.tenantId,
    args: [{ ...input, timings: options.timings }] satisfies Parameters<typeof offboardTenant>,
    reuseClosedIds: true,
  });
}

export type CancelOutcome =
  | { outcome: 'cancelled'; runId: string }
  | { outcome: 'too-late'; runId: string }
  | { outcome: 'not-running' }
  | { outcome: 'unconfirmed'; runId: string };

/**
 * Signals the running offboarding to cancel and waits (up to `confirmWithinMs`) until the
 * workflow says whether it accepted: it refuses once deletion began. `unconfirmed` means
 * no worker answered in time; the signal stays in the history and counts if it was in time.
 */
export async function cancelTenantOffboarding(
  client: Client,
  slug: string,
  requestedBy: AuditActor,
  confirmWithinMs = 10_000,
): Promise<CancelOutcome> {
  const handle = client.workflow.getHandle(offboardTenantWorkflowId(slug));
  let runId: string;
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return { outcome: 'not-running' };
    runId = description.runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { outcome: 'not-running' };
    throw error;
  }
  const run = client.workflow.getHandle(offboardTenantWorkflowId(slug), runId);
  const requestId = randomUUID();
  try {
    await run.signal(cancelOffboardingSignal, { requestId, requestedBy });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { outcome: 'not-running' };
    throw error;
  }
  const deadline = Date.now() + confirmWithinMs;
  while (Date.now() < deadline) {
    try {
      const state = await client.connection.withDeadline(Date.now() + 2_000, () => run.query(offboardingStateQuery));
      const answer = state.cancelRequests.find((r) => r.requestId === requestId);
      if (answer) return { outcome: answer.accepted ? 'cancelled' : 'too-late', runId };
    } catch {
      // No worker answered yet, or the run closed meanwhile: then its result says how.
      const description = await run.describe();
      if (description.status.name !== 'RUNNING') {
        const result = (await run.result().catch(() => null)) as OffboardTenantResult | null;
        return { outcome: result?.outcome === 'cancelled' ? 'cancelled' : 'too-late', runId };
      }
    }
    await sleep(200);
  }
  return { outcome: 'unconfirmed', runId };
}
