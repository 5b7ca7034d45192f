// The metering family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { reconcileMetering } from './reconcile-metering.ts';
