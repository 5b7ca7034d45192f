// /healthz and /readyz (outside /api/v1): for load balancers and orchestrators.
import { z } from 'zod';

export const Liveness = z.object({ status: z.literal('ok') });
export type Liveness = z.infer<typeof Liveness>;

const Check = z.object({ ok: z.boolean(), error: z.string().optional() });

/** 200 when PostgreSQL and Temporal answer, else 503 saying which did not. */
export const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: Check, temporal: Check }),
});
export type Readiness = z.infer<typeof Readiness>;

// GET /api/v1/admin/health (platform admins): each dependency of the platform checked now,
// with how long it took and the last error this API process saw from it.

export const HEALTH_COMPONENTS = ['postgres', 'temporal', 'secretStore', 'billing', 'cluster', 'mail'] as const;
export const HealthComponentName = z.enum(HEALTH_COMPONENTS);
export type HealthComponentName = z.infer<typeof HealthComponentName>;

/** `not-configured`: the embedded default runs instead (no cluster, log mail): nothing to reach. */
export const HEALTH_STATUSES = ['up', 'down', 'not-configured'] as const;
export const HealthStatus = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatus>;

export const ComponentHealth = z.object({
  component: HealthComponentName,
  /** How people read it: "PostgreSQL", "Secret store". */
  label: z.string(),
  /** The adapter in use (`vault`, `local`, `stripe`, `kubernetes`, `smtp`, …). */
  adapter: z.string(),
  status: HealthStatus,
  /** How long this check took; null when nothing was checked. */
  latencyMs: z.number().nonnegative().nullable(),
  /** The last failure this API process saw from the check (it may be up again since). */
  lastError: z.object({ message: z.string(), at: z.iso.datetime() }).nullable(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

/** Pollers on a family's task queues, as the Temporal server last saw them (workers alive). */
export const TaskQueueHealth = z.object({
  family: z.string(),
  taskQueue: z.string(),
  workflowPollers: z.number().int().nonnegative(),
  activityPollers: z.number().int().nonnegative(),
});
export type TaskQueueHealth = z.infer<typeof TaskQueueHealth>;

/**
 * One interval of the API process's history (api/metrics/history.ts): what happened between
 * the previous sample and `at` (operation ends a few seconds behind), and the database pool as
 * it was at `at`.
 */
export const MetricsSample = z.object({
  at: z.iso.datetime(),
  httpRequests: z.number().int().nonnegative(),
  httpServerErrors: z.number().int().nonnegative(),
  /** The interval's 95th percentile request duration, from the histogram's buckets; null: no request. */
  httpP95Ms: z.number().nonnegative().nullable(),
  operationsStarted: z.number().int().nonnegative(),
  /**
   * Operations that ended in the interval, across every worker, as Temporal's visibility counts
   * them: completed; failed or timed out; cancelled or terminated. Null: Temporal did not answer
   * (unknown, not none). Optional: an API from before these were counted sends none.
   */
  operationsCompleted: z.number().int().nonnegative().nullable().optional(),
  operationsFailed: z.number().int().nonnegative().nullable().optional(),
  operationsCancelled: z.number().int().nonnegative().nullable().optional(),
  /** Connections in use (open less idle) and requests waiting for one; null: no pool to read. */
  databasePoolInUse: z.number().int().nonnegative().nullable(),
  databasePoolWaiting: z.number().int().nonnegative().nullable(),
});
export type MetricsSample = z.infer<typeof MetricsSample>;

/** The last window of samples, oldest first, taken every interval (METRICS_HISTORY_INTERVAL/_WINDOW). */
export const MetricsHistory = z.object({
  intervalSeconds: z.number().positive(),
  windowSeconds: z.number().positive(),
  samples: z.array(MetricsSample),
});
export type MetricsHistory = z.infer<typeof MetricsHistory>;

/** Key numbers of the API process that answered, since it started (every replica counts its own). */
export const ApiProcessMetrics = z.object({
  since: z.iso.datetime(),
  httpRequests: z.number().int().nonnegative(),
  httpServerErrors: z.number().int().nonnegative(),
  operationsStarted: z.array(z.object({ kind: z.string(), count: z.number().int().nonnegative() })),
  /** Its database pool now. */
  databasePool: z.object({ total: z.number().int(), idle: z.number().int(), waiting: z.number().int() }).nullable(),
  /** The same numbers per interval over the last window, for the charts. */
  history: MetricsHistory,
});
export type ApiProcessMetrics = z.infer<typeof ApiProcessMetrics>;

export const PlatformHealth = z.object({
  /** `degraded` when any configured component is down or a family's queue has no poller. */
  status: z.enum(['up', 'degraded']),
  checkedAt: z.iso.datetime(),
  components: z.array(ComponentHealth),
  /** Null when Temporal could not be asked. */
  taskQueues: z.array(TaskQueueHealth).nullable(),
  metrics: ApiProcessMetrics,
});
export type PlatformHealth = z.infer<typeof PlatformHealth>;
