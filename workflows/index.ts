// Every workflow the worker registers. The worker bundles this file (workflowsPath).
export { provisionTenant } from './provision-tenant.ts';
export { suspendTenant } from './suspend-tenant.ts';
export { reactivateTenant } from './reactivate-tenant.ts';
export { offboardTenant } from './offboard-tenant.ts';
