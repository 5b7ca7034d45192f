// The promotions family's workflows, as the worker registers them (worker/workflow-bundle.ts).
export { promoteRelease } from './promote-release.ts';
