// The Express application: security headers, request ids, response compression, JSON bodies with a size limit,
// the /api/v1 routes, health checks, and problem+json for every error.
import express from 'express';
import helmet from 'helmet';
import type { ApiDeps } from './deps.ts';
import { compressResponses } from './http/compression.ts';
import { ProblemError, problemHandler } from './http/problem.ts';
import { setRawBody } from './http/raw-body.ts';
import { requestContext } from './http/request-context.ts';
import { markMount, recordRequests } from './metrics/http.ts';
import { nameRequestSpans, startRequestSpans } from './http/trace-span.ts';
import type { TracingConfig } from '../config/tracing.ts';
import { healthRouter } from './routes/health.ts';
import { opsRouter } from './ops/routes.ts';
import { jwksRouter } from './routes/jwks.ts';
import { openApiRouter } from './routes/openapi.ts';
import type { RouteModule } from './routes/route-module.ts';
import { mountOrder } from './routes/registry.ts';
import { USAGE_BODY_LIMIT_BYTES } from './billing/usage-routes.ts';

/**
 * `routes`: every route module (api/routes/registry.ts's loadRouteModules); `tracing`: the
 * process's tracing (null: off, and no request is traced).
 */
export function createApp(deps: ApiDeps, routes: readonly RouteModule[], tracing: TracingConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // With tracing on, a sampled request's span, started before the request context takes its
  // trace id for the log line (api/http/trace-span.ts).
  if (tracing) app.use(startRequestSpans(tracing));
  app.use(requestContext(deps.logger));
  // Counts and times every request by route template (api/metrics/http.ts).
  app.use(recordRequests(deps.metrics));
  // The span named after its route template, as the metrics label it.
  if (tracing) app.use(nameRequestSpans());
  // No global content security policy: the API's below is the strictest there is, and the
  // portal's pages get a nonce-based one of their own, per request (api/portal.ts).
  app.use(helmet({ contentSecurityPolicy: false }));
  // Probes before compression: their few bytes are never compressed, and they come often.
  app.use(healthRouter(deps));
  // Pages and JSON above a small size, gzip or brotli; never event streams. The portal's
  // built assets come compressed from disk instead (api/portal.ts).
  app.use(compressResponses(deps.settings.responseCompression));
  app.use(jwksRouter(deps));
  // Operator access (/ops/…): the Temporal UI behind sign-in, before the portal and outside
  // /api/v1, so neither the portal's nor the API's content security policy applies to it.
  app.use(opsRouter(deps));

  const api = express.Router();
  api.use(helmet.contentSecurityPolicy({ directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }));
  // The raw bytes stay on the request too: signed webhooks (Stripe's) verify exactly what was sent.
  const json = express.json({ limit: deps.settings.bodyLimitBytes, strict: true, verify: keepRawBody });
  // A usage batch (up to USAGE_MAX_BATCH events) may be larger than any other body.
  const usageJson = express.json({
    limit: Math.max(deps.settings.bodyLimitBytes, USAGE_BODY_LIMIT_BYTES),
    strict: true,
    verify: keepRawBody,
  });
  api.use((req, res, next) => (req.path === '/usage' ? usageJson : json)(req, res, next));
  api.use(openApiRouter(routes));
  for (const { path, router } of mountOrder(routes)) api.use(path, markMount(path), router(deps));
  api.use((req) => {
    throw new ProblemError('notFound', `No route ${req.method} ${req.originalUrl}.`);
  });
  api.use(problemHandler(deps.logger));
  app.use('/api/v1', api);
  return app;
}

/** express.json's verify hook: the body as received (api/http/raw-body.ts reads it). */
function keepRawBody(req: express.Request, _res: express.Response, buffer: Buffer): void {
  setRawBody(req, buffer);
}

/** Mounted after the portal so unknown non-API paths still answer with a problem. */
export function finalErrorHandler(deps: ApiDeps): express.ErrorRequestHandler {
  return problemHandler(deps.logger);
}
