// The tenant-provisioning family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { provisionTenant } from './provision-tenant.ts';
