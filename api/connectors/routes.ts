// The connectors family's route modules (found by api/routes/registry.ts by the family's name):
// the providers a tenant can connect, its connections, the OAuth callback, and the platform
// admins' provider clients.
import type { RouteModule } from '../routes/route-module.ts';
import { connectorCallbackRoutes } from './callback-routes.ts';
import { connectorClientsRoutes } from './client-routes.ts';
import { connectionsRoutes } from './connection-routes.ts';
import { connectorProvidersRoutes } from './provider-routes.ts';

export default [
  connectorProvidersRoutes,
  connectionsRoutes,
  connectorCallbackRoutes,
  connectorClientsRoutes,
] satisfies RouteModule[];
