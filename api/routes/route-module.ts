// What a route module declares, once: where its routers are mounted under /api/v1 and the
// OpenAPI paths they serve. The app mounts (api/app.ts) and the OpenAPI document
// (api/routes/openapi.ts) both read the same list (api/routes/registry.ts), so a route
// cannot be served without being documented, or documented without being served.
import type { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiDeps } from '../deps.ts';

export const API_PREFIX = '/api/v1';

export interface RouteModule {
  /** Routers and their mount points under /api/v1, in Express syntax (`/tenants/:slug/members`). */
  mounts: ReadonlyArray<{ path: string; router: (deps: ApiDeps) => Router }>;
  /** Its OpenAPI paths (`/api/v1/tenants/{slug}/members`); each lies under one of its mounts. */
  paths: ZodOpenApiPathsObject;
}

/** One router at one mount point, the usual case. */
export function routeModule(
  path: string,
  router: (deps: ApiDeps) => Router,
  paths: ZodOpenApiPathsObject,
): RouteModule {
  return { mounts: [{ path, router }], paths };
}

/** The OpenAPI form of an Express mount: `/tenants/:slug` → `/api/v1/tenants/{slug}`. */
export function openApiPathOf(mount: string): string {
  return `${API_PREFIX}${mount.replace(/:(\w+)/g, '{$1}')}`;
}
