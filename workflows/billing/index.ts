// The billing family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { tenantBilling } from './tenant-billing.ts';
export { changePlan } from './change-plan.ts';
