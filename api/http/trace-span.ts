// The server span of each request the API (and the portal it serves) handles, when tracing is
// on. The http instrumentation's own server spans are off (tracing/setup.ts): it built a
// request's attributes and bound its request and response emitters to a new context before it
// knew whether the request was sampled, so a request left out cost nearly what a traced one did.
// Here the decision comes first (tracing/request-sampling.ts). A request left out runs in one
// context with tracing suppressed, marked so that the workflows it starts are left out too; a
// request let in gets a span, named after its route template as the metrics label it
// (`POST /api/v1/tenants`), with the tenant it was for.
import type { RequestHandler } from 'express';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { TracingConfig } from '../../config/tracing.ts';
import { currentLogContext } from '../../logging/context.ts';
import { requestSampled, unsampledRequest } from '../../tracing/request-sampling.ts';
import { ATRIUM_TRACER } from '../../tracing/setup.ts';
import { routeTemplate } from '../metrics/http.ts';

/** Paths whose requests make no span: probes and static files, which would drown the operations. */
const UNTRACED_PATHS = /^\/(healthz|readyz|livez|assets\/|favicon)/;

/** Mounted first: starts a sampled request's span, which the rest of the request runs under. */
export function startRequestSpans(tracing: NonNullable<TracingConfig>): RequestHandler {
  const tracer = trace.getTracer(ATRIUM_TRACER);
  return (req, res, next) => {
    if (UNTRACED_PATHS.test(req.url)) return context.with(suppressTracing(context.active()), next);
    if (!requestSampled(req, tracing.sampleRatio)) return context.with(unsampledRequest(context.active()), next);
    // The caller's trace, when a traceparent names one; else this request starts a trace.
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.method': req.method,
          // The path without its query, which may carry a token.
          'http.target': req.path,
          'http.scheme': req.protocol,
          'net.peer.ip': req.socket.remoteAddress ?? '',
          'http.user_agent': req.get('user-agent') ?? '',
        },
      },
      parent,
    );
    // 'close' comes after 'finish' (nameRequestSpans), and also when the client went away first.
    res.once('close', () => {
      span.setAttribute('http.status_code', res.statusCode);
      if (!res.writableFinished)
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'closed before the response was sent' });
      else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Mounted after the request context: names the span once the route and the tenant are known. */
export function nameRequestSpans(): RequestHandler {
  return (req, res, next) => {
    const span = trace.getActiveSpan();
    if (span?.isRecording())
      res.once('finish', () => {
        const route = routeTemplate(req);
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
        const { tenantId } = currentLogContext();
        if (tenantId) span.setAttribute('atrium.tenant_id', tenantId);
      });
    next();
  };
}
