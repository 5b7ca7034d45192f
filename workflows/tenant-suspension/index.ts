// The tenant-suspension family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { suspendTenant } from './suspend-tenant.ts';
export { reactivateTenant } from './reactivate-tenant.ts';
