// Tracing (OpenTelemetry): on when OTEL_EXPORTER_OTLP_ENDPOINT names an OTLP/HTTP collector
// (Jaeger, any OpenTelemetry Collector); off, and costing nothing, when it is unset. The API
// also reads traces back for the operation page from TRACES_QUERY_URL (Jaeger's query API).
import { z } from 'zod';

export const tracingSettings = {
  // The collector's base URL; spans go to <url>/v1/traces (OTLP over HTTP, protobuf-free JSON).
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ error: 'must be an http(s) URL (e.g. http://127.0.0.1:4318)' }).optional(),
  // The share of new traces kept (0–1). Parent-based: the worker follows the API's decision.
  TRACES_SAMPLE_RATIO: z.coerce.number().min(0).max(1, 'must be between 0 and 1').default(1),
};

export const traceQuerySettings = {
  // Jaeger's query API (its HTTP port), for the waterfall on the operation page.
  TRACES_QUERY_URL: z.url({ error: 'must be an http(s) URL (Jaeger query, e.g. http://127.0.0.1:16686)' }).optional(),
};

/** null: tracing is off. */
export type TracingConfig = { endpoint: string; sampleRatio: number } | null;

export function tracingConfigFrom(parsed: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  TRACES_SAMPLE_RATIO: number;
}): TracingConfig {
  if (!parsed.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return { endpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, ''), sampleRatio: parsed.TRACES_SAMPLE_RATIO };
}
