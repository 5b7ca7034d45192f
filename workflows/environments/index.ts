// The environments family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { createEnvironment } from './create-environment.ts';
export { deleteEnvironment } from './delete-environment.ts';
