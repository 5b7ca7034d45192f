// The environments family's route modules (found by api/routes/registry.ts by the family's name).
import type { RouteModule } from '../routes/route-module.ts';
import { environmentsRoutes } from './environment-routes.ts';

export default [environmentsRoutes] satisfies RouteModule[];
