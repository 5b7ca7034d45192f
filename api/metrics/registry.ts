// The API's Prometheus metrics (prom-client), one registry per process, passed down in ApiDeps:
// HTTP requests per route template, operations started per kind and plan, and the database
// pool's connections. Labels never carry a tenant slug, an id or a raw path: only templates,
// kinds, plans, methods and status codes, so every series stays bounded.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What a pg pool reports (TypeORM's postgres driver keeps one as `driver.master`). */
export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface ApiMetrics {
  registry: Registry;
  /** Every answered request: `route` is the Express template (`/api/v1/tenants/:slug`), never the path. */
  recordRequest(request: { method: string; route: string; status: number; seconds: number }): void;
  /** One operation whose workflow was started (not "already started" by an earlier request). */
  operationStarted(operation: { kind: string; plan: string }): void;
  /** Reports `pool`'s connections on every scrape, labelled with `name`. */
  watchPool(name: string, pool: () => PoolStats | null): void;
  /** The key numbers of this process since it started, for the admin health page. */
  summary(): Promise<ApiMetricsSummary>;
}

export interface ApiMetricsSummary {
  since: string;
  httpRequests: number;
  httpServerErrors: number;
  operationsStarted: Array<{ kind: string; count: number }>;
}

/** Seconds: from a fast read to a long event-stream poll. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createApiMetrics(): ApiMetrics {
  const since = new Date().toISOString();
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'atrium-api' });
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'atrium_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'atrium_http_request_errors_total',
    help: 'HTTP requests answered with a 5xx status, by method and route template.',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'atrium_http_request_duration_seconds',
    help: 'Time from a request’s arrival to its response’s end, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const started = new Counter({
    name: 'atrium_operations_started_total',
    help: 'Operations whose workflow the API started, by kind and plan (`none` when the kind has no plan).',
    labelNames: ['kind', 'plan'] as const,
    registers: [registry],
  });

  const pools = new Map<string, () => PoolStats | null>();
  new Gauge({
    name: 'atrium_db_pool_connections',
    help: 'Database pool connections by state: total (open), idle, waiting (requests queued for one).',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, read] of pools) {
        const stats = read();
        if (!stats) continue;
        this.set({ pool, state: 'total' }, stats.totalCount);
        this.set({ pool, state: 'idle' }, stats.idleCount);
        this.set({ pool, state: 'waiting' }, stats.waitingCount);
      }
    },
  });

  return {
    registry,
    recordRequest({ method, route, status, seconds }) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
      if (status >= 500) errors.inc({ method, route });
    },
    operationStarted({ kind, plan }) {
      started.inc({ kind, plan });
    },
    watchPool(name, pool) {
      pools.set(name, pool);
    },
    async summary() {
      const total = (values: ReadonlyArray<{ value: number }>) => values.reduce((sum, { value }) => sum + value, 0);
      const byKind = new Map<string, number>();
      for (const { labels, value } of (await started.get()).values)
        byKind.set(String(labels.kind), (byKind.get(String(labels.kind)) ?? 0) + value);
      return {
        since,
        httpRequests: total((await requests.get()).values),
        httpServerErrors: total((await errors.get()).values),
        operationsStarted: [...byKind].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count),
      };
    },
  };
}
