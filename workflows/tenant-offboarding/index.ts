// The tenant-offboarding family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { offboardTenant } from './offboard-tenant.ts';
