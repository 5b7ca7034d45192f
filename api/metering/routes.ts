// The metering family's routes (found by api/routes/registry.ts): a tenant's signed
// reconciliation records, and a platform admin's "run now".
import type { RouteModule } from '../routes/route-module.ts';
import { reconciliationRoutes } from './reconciliation-routes.ts';
import { meteringRunRoutes } from './run-routes.ts';

export default [reconciliationRoutes, meteringRunRoutes] satisfies RouteModule[];
