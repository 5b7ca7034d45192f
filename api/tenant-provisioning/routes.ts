// The tenant-provisioning family's routes (found by api/routes/registry.ts): the approval
// Update and what provisioning built. Creating a tenant is api/routes/tenants.ts.
import type { RouteModule } from '../routes/route-module.ts';
import { tenantApprovalRoutes } from './approval-routes.ts';
import { tenantResourcesRoutes } from './resources-routes.ts';

export default [tenantApprovalRoutes, tenantResourcesRoutes] satisfies RouteModule[];
