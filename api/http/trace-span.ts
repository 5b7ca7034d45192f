// Names each request's span (made by the http instrumentation, tracing/setup.ts) after the
// route template that served it, as the metrics label it (`POST /api/v1/tenants`), and marks
// the tenant it was for; a request that was not sampled carries that decision to the workflows
// it starts (tracing/request-sampling.ts). With tracing off there is no span and this does nothing.
import { trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { currentLogContext } from '../../logging/context.ts';
import { carryUnsampled } from '../../tracing/request-sampling.ts';
import { routeTemplate } from '../metrics/http.ts';

export function nameRequestSpans(): RequestHandler {
  return (req, res, next) => {
    const span = trace.getActiveSpan();
    if (span?.isRecording()) {
      // 'finish' comes before the 'close' on which the instrumentation ends the span.
      res.once('finish', () => {
        const route = routeTemplate(req);
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
        const { tenantId } = currentLogContext();
        if (tenantId) span.setAttribute('atrium.tenant_id', tenantId);
      });
      return next();
    }
    carryUnsampled(req, next);
  };
}
