// The worker's Prometheus endpoint (WORKER_METRICS_PORT on METRICS_HOST) is the Temporal SDK
// runtime's own exporter: the SDK's worker metrics (task slots, poll and schedule-to-start
// latency, activity failures per type, workflow ends per type), the operations' ends that
// workflows record (workflows/shared/metrics-interceptor.ts), and the database pools, set here.
import type { MetricMeter } from '@temporalio/common';
import type { MetricsExporterConfig } from '@temporalio/worker';
import type { MetricsAddress } from '../config/metrics.ts';
import { OPERATION_DURATION_METRIC } from '../workflows/shared/operation-labels.ts';

/** Seconds: operations take from seconds (a suspension) to days (an offboarding's grace). */
const OPERATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 3600, 21_600, 86_400, 604_800];

/** Runtime.install's telemetryOptions.metrics; undefined when metrics are off. */
export function runtimeMetrics(address: MetricsAddress): MetricsExporterConfig | undefined {
  if (!address) return undefined;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    prometheus: {
      bindAddress: `${host}:${address.port}`,
      countersTotalSuffix: true,
      useSecondsForDurations: true,
      histogramBucketOverrides: { [OPERATION_DURATION_METRIC]: OPERATION_BUCKETS },
    },
  };
}

/** Sets each pool's total, idle and waiting connections every `intervalMs`; returns a stop function. */
export function reportPools(
  meter: MetricMeter,
  pools: ReadonlyArray<{
    name: string;
    stats: () => { totalCount: number; idleCount: number; waitingCount: number } | null;
  }>,
  intervalMs = 5_000,
): () => void {
  const gauge = meter.createGauge(
    'atrium_db_pool_connections',
    'int',
    undefined,
    'Database pool connections by state.',
  );
  const report = () => {
    for (const { name, stats } of pools) {
      const current = stats();
      if (!current) continue;
      gauge.set(current.totalCount, { pool: name, state: 'total' });
      gauge.set(current.idleCount, { pool: name, state: 'idle' });
      gauge.set(current.waitingCount, { pool: name, state: 'waiting' });
    }
  };
  report();
  const timer = setInterval(report, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
