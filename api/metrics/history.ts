// A short history of the API process's key metrics for the admin health page's charts: every
// METRICS_HISTORY_INTERVAL a timer reads the process's own prom-client registry (never a request's
// work: answering costs nothing more) and keeps what changed since the previous reading, for the
// last METRICS_HISTORY_WINDOW. Each process keeps its own history, as each keeps its own
// counters; Prometheus (the /metrics port) is where the replicas add up.
//
// Per interval: requests answered, those with a 5xx, the 95th percentile duration (interpolated
// within the duration histogram's buckets, as Prometheus's histogram_quantile does), operations
// started; and the database pool as it is at the reading. How operations ended (completed,
// failed, cancelled) is not in this registry: the worker counts it in its own
// (workflows/shared/metrics-interceptor.ts), which the API cannot read. So the same timer asks
// Temporal's visibility how many operations closed in the interval, across every worker
// (./operation-ends.ts), a few seconds behind (visibility is written after the close); when
// Temporal does not answer in time those numbers are null for that interval, and the rest of
// the sample is kept.
import type { Registry } from 'prom-client';
import type { MetricsHistory, MetricsSample } from '../../contracts/health.ts';
import type { OperationEnds, OperationEndsCounter } from './operation-ends.ts';

/** How far behind the interval operation ends are counted: visibility records a close shortly after it. */
export const OPERATION_ENDS_LAG_MS = 5_000;

export interface MetricsHistoryOptions {
  intervalMs: number;
  windowMs: number;
  /** Counts operations that ended in a span of time (Temporal's visibility); absent: those fields are null. */
  operationEnds?: OperationEndsCounter;
  /** OPERATION_ENDS_LAG_MS unless given (tests that wait for visibility themselves give 0). */
  operationEndsLagMs?: number;
}

export interface MetricsHistorySampler {
  /** The kept samples, oldest first. */
  history(): MetricsHistory;
  /** Settles once the baseline (the reading the first sample measures from) is taken. */
  ready: Promise<void>;
  /** Takes a sample now (the timer calls it; tests may too). */
  sample(): Promise<MetricsSample>;
  stop(): void;
}

/** Cumulative numbers of one reading, to subtract the previous one from. */
interface Reading {
  requests: number;
  errors: number;
  started: number;
  /** Cumulative bucket counts by upper bound (`+Inf` as Infinity), summed over routes. */
  buckets: Map<number, number>;
  pool: { inUse: number; waiting: number } | null;
}

type Values = Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;

async function valuesOf(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as Values;
}

const sum = (values: Values) => values.reduce((total, { value }) => total + value, 0);

async function read(registry: Registry): Promise<Reading> {
  const [requests, errors, started, duration, pool] = await Promise.all([
    valuesOf(registry, 'atrium_http_requests_total'),
    valuesOf(registry, 'atrium_http_request_errors_total'),
    valuesOf(registry, 'atrium_operations_started_total'),
    valuesOf(registry, 'atrium_http_request_duration_seconds'),
    valuesOf(registry, 'atrium_db_pool_connections'),
  ]);
  const buckets = new Map<number, number>();
  for (const { metricName, labels, value } of duration) {
    if (!metricName?.endsWith('_bucket')) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + value);
  }
  const byState = (state: string) => sum(pool.filter(({ labels }) => labels.state === state));
  return {
    requests: sum(requests),
    errors: sum(errors),
    started: sum(started),
    buckets,
    pool: pool.length > 0 ? { inUse: byState('total') - byState('idle'), waiting: byState('waiting') } : null,
  };
}

/**
 * The `quantile` of the requests counted between two readings of cumulative buckets, in
 * seconds: linear within the bucket it falls in; the highest finite bound when it falls in
 * +Inf; null when no request was counted.
 */
export function quantileBetween(
  quantile: number,
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => Math.max(0, (after.get(le) ?? 0) - (before.get(le) ?? 0)));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return null;
  const rank = quantile * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [index, upperBound] of bounds.entries()) {
    const count = counts[index]!;
    if (count >= rank) {
      if (upperBound === Infinity) return lowerBound;
      if (count === lowerCount) return upperBound;
      return lowerBound + ((upperBound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = upperBound;
    lowerCount = count;
  }
  return lowerBound;
}

export function startMetricsHistory(
  registry: Registry,
  { intervalMs, windowMs, operationEnds, operationEndsLagMs = OPERATION_ENDS_LAG_MS }: MetricsHistoryOptions,
  now: () => Date = () => new Date(),
): MetricsHistorySampler {
  const keep = Math.max(1, Math.ceil(windowMs / intervalMs));
  const samples: MetricsSample[] = [];
  let previous: Reading | null = null;
  // When the previous kept sample (or the baseline) was taken: where the next interval starts.
  let previousAt = now();
  // Readings run one after another: a slow one never overlaps the next. The first is the baseline.
  const ready = read(registry).then(
    (reading) => {
      previous = reading;
    },
    () => undefined,
  );
  let chain: Promise<unknown> = ready;

  /** This interval's operation ends, shifted back by the lag; null when Temporal did not answer. */
  async function endsBetween(from: Date, to: Date): Promise<OperationEnds | null> {
    if (!operationEnds) return null;
    try {
      return await operationEnds(
        new Date(from.getTime() - operationEndsLagMs),
        new Date(to.getTime() - operationEndsLagMs),
      );
    } catch {
      return null;
    }
  }

  async function takeSample(): Promise<MetricsSample> {
    const at = now();
    const [after, ends] = await Promise.all([read(registry), endsBetween(previousAt, at)]);
    const before = previous ?? after;
    previous = after;
    previousAt = at;
    const p95 = quantileBetween(0.95, before.buckets, after.buckets);
    const sample: MetricsSample = {
      at: at.toISOString(),
      httpRequests: Math.max(0, after.requests - before.requests),
      httpServerErrors: Math.max(0, after.errors - before.errors),
      httpP95Ms: p95 === null ? null : Math.round(p95 * 10_000) / 10,
      operationsStarted: Math.max(0, after.started - before.started),
      operationsCompleted: ends?.completed ?? null,
      operationsFailed: ends?.failed ?? null,
      operationsCancelled: ends?.cancelled ?? null,
      databasePoolInUse: after.pool ? Math.max(0, after.pool.inUse) : null,
      databasePoolWaiting: after.pool ? after.pool.waiting : null,
    };
    samples.push(sample);
    if (samples.length > keep) samples.splice(0, samples.length - keep);
    return sample;
  }

  function sample(): Promise<MetricsSample> {
    const next = chain.then(takeSample);
    chain = next.catch(() => undefined);
    return next;
  }

  const timer = setInterval(() => {
    // A failed reading leaves a gap in the chart; the next one measures from the last good reading.
    sample().catch(() => undefined);
  }, intervalMs);
  timer.unref();

  return {
    ready,
    history: () => ({ intervalSeconds: intervalMs / 1000, windowSeconds: windowMs / 1000, samples: [...samples] }),
    sample,
    stop: () => clearInterval(timer),
  };
}
