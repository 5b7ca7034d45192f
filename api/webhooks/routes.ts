// The webhooks family's route modules (found by api/routes/registry.ts by the family's name):
// the endpoints and their delivery log.
import type { RouteModule } from '../routes/route-module.ts';
import { webhookDeliveryLogRoutes } from './delivery-log-routes.ts';
import { webhookEndpointsRoutes } from './endpoint-routes.ts';

export default [webhookEndpointsRoutes, webhookDeliveryLogRoutes] satisfies RouteModule[];
