// The promotions family's route modules (found by api/routes/registry.ts by the family's name).
import type { RouteModule } from '../routes/route-module.ts';
import { promotionsRoutes } from './promotion-routes.ts';

export default [promotionsRoutes] satisfies RouteModule[];
