// Spans around a port's calls, for adapters whose HTTP client the http instrumentation does not
// see: the Kubernetes client calls through fetch (undici), not node:http. Each async method
// call becomes a client span `<system> <method>` (e.g. `kubernetes ensureNamespace`), failed
// when it throws. Only wrapped when tracing is on (worker/main.ts); the port is unchanged.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATRIUM_TRACER } from './setup.ts';

export function traceCalls<T extends object>(port: T, system: string): T {
  const tracer = trace.getTracer(ATRIUM_TRACER);
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      return (...args: unknown[]) =>
        tracer.startActiveSpan(
          `${system} ${property}`,
          { kind: SpanKind.CLIENT, attributes: { 'atrium.port': system } },
          async (span) => {
            try {
              // Called on the adapter itself: its private fields are not reachable through a proxy.
              return await (value as (...a: unknown[]) => unknown).apply(target, args);
            } catch (error) {
              span.recordException(error instanceof Error ? error : String(error));
              span.setStatus({
                code: SpanStatusCode.ERROR,
                message: error instanceof Error ? error.message : undefined,
              });
              throw error;
            } finally {
              span.end();
            }
          },
        );
    },
  });
}
