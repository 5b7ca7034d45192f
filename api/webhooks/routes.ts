// The webhooks family's route modules (found by api/routes/registry.ts by the family's name):
// the endpoints, their delivery log, replays and test sends.
import type { RouteModule } from '../routes/route-module.ts';
import { webhookDeliveryLogRoutes } from './delivery-log-routes.ts';
import { webhookEndpointsRoutes } from './endpoint-routes.ts';
import { webhookReplayRoutes } from './replay-routes.ts';
import { webhookTestSendRoutes } from './test-send-routes.ts';

export default [
  webhookEndpointsRoutes,
  webhookDeliveryLogRoutes,
  webhookReplayRoutes,
  webhookTestSendRoutes,
] satisfies RouteModule[];
