// offboardTenant's `connections` step: before anything else is deleted, every connection the
// tenant still holds is disconnected the way a member's disconnect does it (tokens revoked at
// the provider, then destroyed; sync Schedules deleted; the connection marked disconnected), and
// every other Schedule the tenant owns (secret rotations) is deleted, so nothing acts for an
// offboarded tenant and no provider keeps honouring its grants. The workflow stops each
// connection's maintenance first, so no refresh races the revocation.
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { listConnections } from '../../db/repositories/connectors.ts';
import { findTenantScheduleOwners } from '../../db/repositories/tenant-schedules.ts';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import { createOAuthClient } from '../../integrations/oauth/client.ts';
import { loadProviderCatalog } from '../../integrations/oauth/catalog.ts';
import { databaseLoginScheduleId, rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { createDisconnectActivities } from '../connectors/disconnect.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

type ConnectionsEvidence = NonNullable<TeardownSteps['connections']>;

/** Whether Temporal still has the Schedule (the evidence that a deleted one is gone). */
async function scheduleExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).describe();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

export function createConnectionTeardownActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'temporal' | 'outbound' | 'connectors'>,
) {
  const oauth = createOAuthClient({ fetch: deps.outbound, allowInsecure: deps.connectors.allowInsecureProviders });
  const disconnect = createDisconnectActivities({ deps, oauth, catalog: loadProviderCatalog() });

  /** The step's evidence so far (a retry keeps what earlier attempts recorded). */
  const evidenceSoFar = (input: OffboardingStepInput) =>
    tenantStep(deps, input, (step) =>
      step.locked(async ({ db }) => stepsOf(await reportOf(db, input.tenantId)).connections ?? null),
    );

  async function record(input: OffboardingStepInput, change: (before: ConnectionsEvidence) => ConnectionsEvidence) {
    await tenantStep(deps, input, (step) =>
      step.locked(async ({ db }) => {
        const before = stepsOf(await reportOf(db, input.tenantId)).connections ?? {
          connections: [],
          schedules: [],
          completedAt: null,
        };
        await recordStep(db, input.tenantId, 'connections', change(before));
      }),
    );
  }

  return {
    /** Every connection not yet disconnected (a failed or pending one may still hold secrets). */
    async listTenantConnections(input: OffboardingStepInput): Promise<{ connectionIds: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const rows = await step.locked(({ db }) => listConnections(db, input.tenantId));
        return {
          connectionIds: rows.filter((row) => row.status !== 'disconnected').map((row) => row.id),
        };
      });
    },

    /**
     * Revokes one connection's tokens at its provider, then destroys them, deletes its sync
     * Schedules and marks it disconnected (audited), recording how it was revoked. A provider
     * that refuses or cannot be reached does not keep the tokens alive: the refusal is recorded
     * and the tokens are destroyed anyway. Retry-safe: each part is (see disconnect.ts).
     */
    async offboardConnection(input: OffboardingStepInput & { connectionId: string }): Promise<{ revocation: string }> {
      const target = {
        tenantId: input.tenantId,
        slug: input.slug,
        connectionId: input.connectionId,
        actor: input.actor,
      };
      let revocation: string;
      try {
        const revoked = await disconnect.revokeConnectionTokens(target);
        revocation = revoked.skipped ? `${revoked.how}: ${revoked.skipped}` : revoked.how;
      } catch (error) {
        revocation = `failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      await disconnect.deleteConnectionTokens({ ...target, revocation });
      // A retry keeps what the first attempt recorded: its answer from the provider is the evidence.
      await record(input, (before) =>
        before.connections.some((item) => item.id === input.connectionId)
          ? before
          : {
              ...before,
              connections: [
                ...before.connections,
                { id: input.connectionId, revocation, disconnectedAt: new Date().toISOString() },
              ],
            },
      );
      return { revocation };
    },

    /**
     * Deletes every Schedule the tenant still owns (secret rotations; syncs of connections that
     * were already disconnected have none) and reads each back as evidence that it is gone.
     * Retry-safe: a Schedule already gone counts as deleted.
     */
    async offboardSchedules(input: OffboardingStepInput): Promise<{ deleted: string[] }> {
      const owners = await tenantStep(deps, input, (step) =>
        step.locked(({ db }) => findTenantScheduleOwners(db, input.tenantId)),
      );
      const ids = [
        ...owners.syncScheduleIds,
        ...owners.rotatedSecretIds.map((secretId) => rotationScheduleId(input.slug, secretId)),
        ...(owners.databaseLoginPolicy ? [databaseLoginScheduleId(input.slug)] : []),
      ];
      for (const id of ids) {
        await deps.temporal.schedule
          .getHandle(id)
          .delete()
          .catch((error: unknown) => {
            if (!(error instanceof ScheduleNotFoundError)) throw error;
          });
        if (await scheduleExists(deps.temporal, id))
          throw new Error(`Schedule ${id} is still there after its deletion; retrying.`);
      }
      const earlier = (await evidenceSoFar(input))?.schedules ?? [];
      await record(input, (before) => ({
        ...before,
        schedules: [...new Set([...earlier, ...ids])].sort(),
        completedAt: new Date().toISOString(),
      }));
      return { deleted: ids };
    },
  };
}
