// Where a process serves its Prometheus metrics: a port of its own, on loopback unless
// METRICS_HOST says otherwise. The API reads METRICS_PORT (0: a free port, logged), the worker
// WORKER_METRICS_PORT (the Temporal SDK's exporter binds it: a fixed port), so one environment
// serves both processes of `npm start`. `off` serves nothing.
import { z } from 'zod';

const portOrOff = (min: number) =>
  z.union([z.literal('off'), z.coerce.number().int().min(min).max(65_535)], {
    error: `must be a port (${min}–65535) or off`,
  });

export const metricsSettings = {
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: portOrOff(0).default(9464),
  WORKER_METRICS_PORT: portOrOff(1).default(9465),
};

/** null: metrics are off. */
export type MetricsAddress = { host: string; port: number } | null;

type MetricsEnv = z.output<z.ZodObject<typeof metricsSettings>>;

export function apiMetricsAddress(parsed: MetricsEnv): MetricsAddress {
  return parsed.METRICS_PORT === 'off' ? null : { host: parsed.METRICS_HOST, port: parsed.METRICS_PORT };
}

export function workerMetricsAddress(parsed: MetricsEnv): MetricsAddress {
  return parsed.WORKER_METRICS_PORT === 'off' ? null : { host: parsed.METRICS_HOST, port: parsed.WORKER_METRICS_PORT };
}
