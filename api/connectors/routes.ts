// The connectors family's route modules (found by api/routes/registry.ts by the family's name):
// the providers a tenant can connect, its connections and their syncs, the OAuth callback, and the platform
// admins' provider clients.
import type { RouteModule } from '../routes/route-module.ts';
import { connectorCallbackRoutes } from './callback-routes.ts';
import { connectorClientsRoutes } from './client-routes.ts';
import { connectionsRoutes } from './connection-routes.ts';
import { connectorProvidersRoutes } from './provider-routes.ts';
import { syncsRoutes } from './sync-routes.ts';

export default [
  connectorProvidersRoutes,
  connectionsRoutes,
  syncsRoutes,
  connectorCallbackRoutes,
  connectorClientsRoutes,
] satisfies RouteModule[];
