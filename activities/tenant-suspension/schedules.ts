// suspendTenant's `schedules` step and reactivateTenant's: a suspended tenant's connector syncs
// and secret rotations must not run, and its reactivation must bring back exactly what the
// suspension stopped. The suspension records the ids it is about to pause before it pauses any,
// so a retry after a crash pauses the same ones and never mistakes its own pause for a member's.
import { ScheduleNotFoundError } from '@temporalio/client';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { findTenantScheduleOwners } from '../../db/repositories/tenant-schedules.ts';
import { findSuspension, recordSuspensionPausedSchedules } from '../../db/repositories/tenant-suspensions.ts';
import { databaseLoginScheduleId, rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';

type Input = { tenantId: string; slug: string; number: number; actor: AuditActor };

export function createSuspensionScheduleActivities(deps: Pick<ActivityDeps, 'dataSource' | 'temporal'>) {
  const schedule = (id: string) => deps.temporal.schedule.getHandle(id);

  /** Runs `fn` on the Schedule; one deleted meanwhile is nothing to do. */
  async function ifPresent(id: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  }

  return {
    /** Pauses the tenant's running Schedules (those a member paused stay as they are, and are not recorded). */
    async pauseTenantSchedules(input: Input): Promise<{ paused: string[] }> {
      return tenantStep(deps, input, async (step) => {
        let recorded = await step.locked(
          async ({ db }) => (await findSuspension(db, input.tenantId, input.number))?.paused_schedules ?? null,
        );
        if (recorded === null) {
          const owners = await step.locked(({ db }) => findTenantScheduleOwners(db, input.tenantId));
          const ids = [
            ...owners.syncScheduleIds,
            ...owners.rotatedSecretIds.map((secretId) => rotationScheduleId(input.slug, secretId)),
            ...(owners.databaseLoginPolicy ? [databaseLoginScheduleId(input.slug)] : []),
          ];
          const running: string[] = [];
          for (const id of ids) {
            const described = await schedule(id)
              .describe()
              .catch((error: unknown) => {
                if (error instanceof ScheduleNotFoundError) return null;
                throw error;
              });
            if (described && !described.state.paused) running.push(id);
          }
          recorded = await step.locked(async ({ db, audit }) => {
            const again = (await findSuspension(db, input.tenantId, input.number))?.paused_schedules ?? null;
            if (again !== null) return again;
            await recordSuspensionPausedSchedules(db, input.tenantId, input.number, running);
            if (running.length > 0)
              await audit('tenant.schedules_paused', 'tenant', input.tenantId, {
                schedules: running,
                suspension: input.number,
              });
            return running;
          });
        }
        const note = `Tenant suspended (suspension ${input.number})`;
        for (const id of recorded) await ifPresent(id, () => schedule(id).pause(note));
        return { paused: recorded };
      });
    },

    /** Resumes what suspension `number` paused. Retry-safe: resuming a running Schedule changes nothing. */
    async resumeTenantSchedules(input: Input): Promise<{ resumed: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const suspension = await step.locked(({ db }) => findSuspension(db, input.tenantId, input.number));
        const paused = suspension?.paused_schedules ?? [];
        const resumed: string[] = [];
        const note = `Tenant reactivated (suspension ${input.number} ended)`;
        for (const id of paused) if (await ifPresent(id, () => schedule(id).unpause(note))) resumed.push(id);
        if (resumed.length > 0)
          await step.locked(({ audit }) =>
            audit('tenant.schedules_resumed', 'tenant', input.tenantId, {
              schedules: resumed,
              suspension: input.number,
            }),
          );
        return { resumed };
      });
    },
  };
}
