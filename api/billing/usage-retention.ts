// Usage retention (USAGE_RETENTION, default 400 days): usage_events would otherwise grow
// forever. In every API process, on a timer (USAGE_RETENTION_SWEEP_INTERVAL), each tenant with
// events older than the retention has them deleted through `atrium_prune_usage_events`
// (migration 1765380000000): only the events of windows the metering reconciliation settled
// (matched, or flagged for a person), since those are what its signed records stand for; a
// window never reconciled keeps its events. What was deleted is counted per tenant, audited
// (`usage.events_pruned`, in the transaction of the deletion) and logged. Any number of
// processes may sweep at once: the function skips rows another one holds, and each audits
// only what it deleted.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope, withTenantScope } from '../../db/scope.ts';
import type { Logger } from '../../logging/logger.ts';
import { METER_NAMES } from '../../workflows/shared/meters.ts';

const SWEEPER: AuditActor = { type: 'system', id: 'usage-retention', requestId: null, ip: null };
/** Rows deleted per statement (and per transaction): a tenant with years of events takes several. */
const PRUNE_BATCH = 10_000;

export interface UsageRetentionDeps {
  dataSource: DataSource;
  logger: Logger;
}

export interface UsageRetentionPolicy {
  /** USAGE_RETENTION: events older than this (and of reconciled windows) are deleted. */
  retentionMs: number;
}

/** Deletes one tenant's reconciled events that occurred before `before`; how many. */
export async function pruneTenantUsage(deps: UsageRetentionDeps, tenantId: string, before: Date): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const [row] = await db.query<Array<{ deleted: number }>>(
        `SELECT atrium_prune_usage_events($1, $2, $3) AS deleted`,
        [tenantId, before, PRUNE_BATCH],
      );
      const count = row?.deleted ?? 0;
      if (count > 0)
        await appendAuditEntry(db, {
          tenantId,
          actor: SWEEPER,
          action: 'usage.events_pruned',
          targetType: 'usage_events',
          targetId: null,
          after: { deleted: count, occurredBefore: before.toISOString(), reason: 'USAGE_RETENTION' },
        });
      return count;
    });
    deleted += batch;
    if (batch < PRUNE_BATCH) return deleted;
  }
}

/** One pass over every tenant with events past the retention; a tenant's failure is logged and skipped. */
export async function sweepUsageRetention(
  deps: UsageRetentionDeps,
  policy: UsageRetentionPolicy,
  now = new Date(),
): Promise<{ tenants: number; deleted: number }> {
  const before = new Date(now.getTime() - policy.retentionMs);
  // Each EXISTS is a short range of the (tenant_id, occurred_at) index (usage_events_time_idx).
  const tenants = await withPlatformScope(deps.dataSource, (db) =>
    db.query<Array<{ id: string }>>(
      `SELECT t.id FROM tenants t
       WHERE EXISTS (SELECT 1 FROM usage_events u
                     WHERE u.tenant_id = t.id AND u.meter = ANY ($2) AND u.occurred_at < $1)`,
      [before, METER_NAMES],
    ),
  );
  let deleted = 0;
  let pruned = 0;
  for (const { id } of tenants) {
    const count = await pruneTenantUsage(deps, id, before).catch((error: unknown) => {
      deps.logger.warn('Usage events past their retention not deleted yet', { tenantId: id, error: String(error) });
      return 0;
    });
    if (count > 0) {
      pruned += 1;
      deps.logger.info('Usage events deleted after their retention', {
        tenantId: id,
        deleted: count,
        occurredBefore: before.toISOString(),
      });
    }
    deleted += count;
  }
  return { tenants: pruned, deleted };
}

export interface UsageRetentionSweeper {
  stop(): Promise<void>;
}

/** Sweeps now and then every `intervalMs` until stopped (after the pass under way). */
export function startUsageRetentionSweeper(
  deps: UsageRetentionDeps,
  policy: UsageRetentionPolicy,
  intervalMs: number,
): UsageRetentionSweeper {
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      await sweepUsageRetention(deps, policy).catch((error: unknown) =>
        deps.logger.warn('Usage retention sweep failed', { error: String(error) }),
      );
      await sleep(intervalMs, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
