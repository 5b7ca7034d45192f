// Every workflow the worker registers. The worker bundles this file (workflowsPath).
export { provisionTenant } from './provision-tenant.ts';
