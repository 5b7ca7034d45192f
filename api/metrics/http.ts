// Records every HTTP request in the API's metrics once its response is over, labelled with the
// route template that served it (`/api/v1/tenants/:slug/members`), never the path: slugs and
// ids stay out of the labels. The template is the mount (marked by `markMount` as the app
// mounts each router) joined with the matched route's own path; requests no route matched
// are `unmatched`, and the portal's pages and assets are `portal`.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiMetrics } from './registry.ts';

const MOUNT = Symbol('atrium.metrics.mount');

type Marked = Request & { [MOUNT]?: string };

/** Placed before each router: remembers the template the router is mounted at. */
export function markMount(template: string): RequestHandler {
  return (req: Marked, _res, next) => {
    req[MOUNT] = template;
    next();
  };
}

export function recordRequests(metrics: ApiMetrics): RequestHandler {
  return (req: Marked, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    // 'close' comes for every response, also one the client gave up on (an event stream it left).
    res.once('close', () => {
      metrics.recordRequest({
        method: req.method,
        route: routeTemplate(req),
        status: res.statusCode,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
    next();
  };
}

/** The template of the route that answered (see the file comment). */
export function routeTemplate(req: Marked): string {
  const routePath = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof routePath === 'string') {
    const joined = `${req[MOUNT] ?? ''}${routePath === '/' ? '' : routePath}`;
    const prefix = req.originalUrl.startsWith('/api/') ? '/api/v1' : '';
    return `${prefix}${joined}` || '/';
  }
  return req.originalUrl.startsWith('/api/') ? 'unmatched' : 'portal';
}
