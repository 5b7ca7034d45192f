// /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the routes' zod schemas.
import { Router } from 'express';
import { createDocument } from 'zod-openapi';
import type { RouteModule } from './route-module.ts';

/** The document of every route module's paths (the same list the app mounts). */
export function buildOpenApiDocument(routes: readonly RouteModule[]): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Atrium API',
      version: '1',
      description:
        'Control plane for Atrium tenants. Commands that start long-running work return 202 with an operation; follow it with GET /api/v1/operations/{id} or its event stream. Errors are RFC 9457 problem details.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths: Object.fromEntries(routes.flatMap((module) => Object.entries(module.paths))),
  });
}

export function openApiRouter(routes: readonly RouteModule[]): Router {
  const document = buildOpenApiDocument(routes); // built once: the schemas do not change at run time
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
