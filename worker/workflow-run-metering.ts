// The worker's end of `workflow.runs` metering (workflows/shared/run-metering-interceptor.ts):
// the notes workflows hand over through the `runMetering` sink are kept in memory and written
// every USAGE_METERING_INTERVAL as usage events, one multi-row insert per tenant, so counting
// costs a workflow task nothing it would notice. Each event's id comes from its run
// (`workflow.run:<run id>`): a note handed twice (a first workflow task that ran again) or a
// write retried after a lost answer is stored once. A write that failed is kept and tried
// again at the next flush — also when the tenant's row is not there yet (provisioning's run
// starts before its first activity records the tenant), for a while; what is left is written
// when the worker stops. A worker killed
// without stopping loses the notes of its last interval (a sink is not called again on
// replay): the meter undercounts then, never overcounts.
import type { InjectedSinks } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import type { NewUsageEvent } from '../db/repositories/usage-events.ts';
import { insertUsageEvents } from '../db/repositories/usage-events.ts';
import { withTenantScope } from '../db/scope.ts';
import type { Logger } from '../logging/logger.ts';
import type { RunMeteringSinks, WorkflowRunNote } from '../workflows/shared/run-metering-interceptor.ts';
import { workflowRunEventId } from '../workflows/shared/run-metering-interceptor.ts';

/** How long a note whose tenant row does not exist (yet) is tried again before it is dropped. */
const MISSING_TENANT_GRACE_MS = 15 * 60_000;

interface PendingRun {
  event: NewUsageEvent;
  /** When the worker got the note. */
  notedAt: number;
}

export interface WorkflowRunMeter {
  /** The sink every worker of the process registers. */
  sinks: InjectedSinks<RunMeteringSinks>;
  /** Writes what was noted (tests; the timer calls it). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  stop(): Promise<void>;
}

export function startWorkflowRunMeter(options: {
  dataSource: DataSource;
  logger: Logger;
  intervalMs: number;
}): WorkflowRunMeter {
  const { dataSource, logger } = options;
  /** Events not written yet, by tenant. */
  let pending = new Map<string, PendingRun[]>();
  let running: Promise<void> | null = null;

  function note(run: WorkflowRunNote): void {
    const runs = pending.get(run.tenantId) ?? [];
    runs.push({
      event: {
        eventId: workflowRunEventId(run.runId),
        meter: 'workflow.runs',
        quantity: 1,
        occurredAt: new Date(run.startedAt),
        attributes: { workflowId: run.workflowId, kind: run.kind },
      },
      notedAt: Date.now(),
    });
    pending.set(run.tenantId, runs);
  }

  async function write(): Promise<void> {
    const batch = pending;
    pending = new Map();
    for (const [tenantId, runs] of batch) {
      try {
        await withTenantScope(dataSource, tenantId, (db) =>
          insertUsageEvents(
            db,
            tenantId,
            runs.map((run) => run.event),
          ),
        );
      } catch (error) {
        // Tried again with the same ids at the next flush. No tenant row: not yet (a provisioning
        // run is noted before it records the tenant), or never again (a failed provisioning
        // removed it): kept for a while, then dropped.
        const missingTenant = /foreign key/i.test(String(error));
        const kept = missingTenant ? runs.filter((run) => Date.now() - run.notedAt < MISSING_TENANT_GRACE_MS) : runs;
        if (kept.length > 0) pending.set(tenantId, [...kept, ...(pending.get(tenantId) ?? [])]);
        if (!missingTenant || kept.length < runs.length)
          logger.warn(
            missingTenant
              ? 'Workflow run metering: runs of a tenant that does not exist were dropped'
              : 'Workflow run metering: a write failed; it is tried again',
            { tenantId, dropped: runs.length - kept.length, error: String(error) },
          );
      }
    }
  }

  function flush(): Promise<void> {
    running ??= write().finally(() => {
      running = null;
    });
    return running;
  }

  const timer = setInterval(() => void flush(), options.intervalMs);
  timer.unref();

  return {
    sinks: { runMetering: { workflowRunStarted: { fn: (_info, run) => note(run) } } },
    flush,
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
  };
}

/**
 * The sink for workers that must not meter (replays, workflow tests): it keeps nothing, and
 * registering it keeps the worker from logging every run's note as an unregistered sink.
 */
export const DISCARDED_RUN_NOTES: InjectedSinks<RunMeteringSinks> = {
  runMetering: { workflowRunStarted: { fn: () => undefined } },
};
