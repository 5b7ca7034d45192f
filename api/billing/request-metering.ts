// Atrium meters its own API: every request a tenant's members or keys make counts on the meter
// `api.requests` (workflows/shared/meters.ts). Counting is a map increment on the request's
// path; every few seconds the counts are written as one usage event per tenant, so metering
// costs a request nothing it would notice (issue 12's read benchmark is the guard).
//
// Each flush gives its events ids of this process and flush number (`atrium.api.<process>.<n>`).
// An event whose write failed is kept with its id and tried again at the next flush, so a write
// that did commit but whose answer was lost is not counted twice (the id is unique per tenant).
// The last counts are written when the process stops.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { NewUsageEvent } from '../../db/repositories/usage-events.ts';
import { insertUsageEvents } from '../../db/repositories/usage-events.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { Logger } from '../../logging/logger.ts';

export interface RequestMeter {
  /** Counts one request to the tenant. */
  count(tenantId: string): void;
  /** Writes what was counted (tests; the timer calls it). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  stop(): Promise<void>;
}

export function startRequestMeter(options: {
  dataSource: DataSource;
  logger: Logger;
  intervalMs: number;
}): RequestMeter {
  const { dataSource, logger } = options;
  const processId = randomUUID();
  let counts = new Map<string, number>();
  /** Events written by no flush yet, by tenant (a failed write keeps its id). */
  const unwritten: Array<{ tenantId: string; event: NewUsageEvent }> = [];
  let flushes = 0;
  let running: Promise<void> | null = null;

  async function write(): Promise<void> {
    flushes += 1;
    const now = new Date();
    for (const [tenantId, quantity] of counts)
      unwritten.push({
        tenantId,
        event: {
          eventId: `atrium.api.${processId}.${flushes}`,
          meter: 'api.requests',
          quantity,
          occurredAt: now,
          attributes: {},
        },
      });
    counts = new Map();
    for (const item of unwritten.splice(0)) {
      try {
        await withTenantScope(dataSource, item.tenantId, (db) => insertUsageEvents(db, item.tenantId, [item.event]));
      } catch (error) {
        // Tried again with the same id at the next flush; a tenant deleted meanwhile is dropped.
        if (!/foreign key/i.test(String(error))) unwritten.push(item);
        logger.warn('API request metering: a write failed; it is tried again', {
          tenantId: item.tenantId,
          error: String(error),
        });
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
    count(tenantId) {
      counts.set(tenantId, (counts.get(tenantId) ?? 0) + 1);
    },
    flush,
    async stop() {
      clearInterval(timer);
      await running;
      await flush();
    },
  };
}
