// Gives every request an id (the caller's X-Request-Id when it is sane, else a new one),
// echoes it back, puts it in the log context, and logs one line per request.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { withLogContext } from '../../logging/context.ts';
import type { Logger } from '../../logging/logger.ts';

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = performance.now();
    // The request's span (tracing on), taken now: 'finish' runs outside its context too.
    const span = trace.getActiveSpan()?.spanContext();
    const traced = span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
    withLogContext({ requestId }, () => {
      res.on('finish', () => {
        // Named explicitly: 'finish' fires outside this request's async context.
        logger.log(res.statusCode >= 500 ? 'error' : 'info', 'request', {
          requestId,
          method: req.method,
          path: req.originalUrl,
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
          ...traced,
        });
      });
      next();
    });
  };
}
