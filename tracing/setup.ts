// Starts OpenTelemetry tracing in a process (the API, the worker): spans batched to the OTLP/HTTP
// collector the configuration names, W3C trace context propagated, and the instrumentations
// for node:http (outgoing calls to the secret store, Stripe, Kubernetes) and pg (every query);
// the API's incoming requests get their spans from its own middleware (api/http/trace-span.ts). Nothing here runs when tracing is off: the OpenTelemetry API's default
// no-op tracer answers every call, so the code that makes spans costs nothing then.
//
// Started by the entry's boot module (api/boot.ts, worker/boot.ts) before the rest of the
// program is imported, since the instrumentations patch http and pg as those load.
import { ClientRequest } from 'node:http';
import { diag, DiagLogLevel, trace } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config/tracing.ts';
import { PreSampledRequests } from './request-sampling.ts';

/** The name every span of Atrium's own (not an instrumentation's) is made under. */
export const ATRIUM_TRACER = 'atrium';

export interface Tracing {
  /** The process's resource and span processor: the worker hands both to the workflow span sink. */
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

export function startTracing(config: TracingConfig, service: string, warn: (message: string) => void): Tracing | null {
  if (!config) return null;
  const quiet: DiagLogger = {
    error: (message) => warn(`OpenTelemetry: ${message}`),
    warn: (message) => warn(`OpenTelemetry: ${message}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(quiet, DiagLogLevel.WARN);
  const resource = new Resource({ 'service.name': service, 'service.namespace': 'atrium' });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }), {
    scheduledDelayMillis: 500,
  });
  const provider = new NodeTracerProvider({
    resource,
    // Incoming requests are sampled before their span is made (api/http/trace-span.ts).
    sampler: new ParentBasedSampler({
      root: new PreSampledRequests(new TraceIdRatioBasedSampler(config.sampleRatio)),
    }),
    spanProcessors: [spanProcessor],
  });
  provider.register();
  const disableInstrumentations = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Outgoing calls only. The API makes its requests' spans itself, after deciding
        // whether to sample them (api/http/trace-span.ts); the worker serves none worth one.
        disableIncomingRequestInstrumentation: true,
        // An outgoing call is named after its method and host (`PUT 127.0.0.1:8200`): paths
        // carry tenant slugs and ids, which would make every span name unique.
        requestHook: (span, request) => {
          if (request instanceof ClientRequest)
            span.updateName(`${request.method} ${String(request.getHeader('host') ?? request.host)}`);
        },
      }),
      // Only queries inside a request or an activity: the pools' own keep-alive work is noise.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  return {
    resource,
    spanProcessor,
    async shutdown() {
      disableInstrumentations();
      await provider.shutdown();
      trace.disable();
    },
  };
}
