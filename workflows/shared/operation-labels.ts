// The labels an operation's metrics carry: its kind (the catalogue row of its workflow type)
// and its plan when its input names one (provisioning's `plan`), else `none`. Bounded values
// only, never a tenant or an id. Pure: the API's client interceptor and the workflow
// sandbox's metrics interceptor both use it.
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import { PLAN_NAMES } from './plans.ts';

/** The histogram the worker gives operation-sized buckets (worker/metrics.ts). */
export const OPERATION_DURATION_METRIC = 'atrium_operation_duration_seconds';

const KIND_OF_TYPE: ReadonlyMap<string, string> = new Map(
  Object.entries(OPERATION_CATALOGUE).map(([kind, entry]) => [entry.workflowType, kind]),
);

export interface OperationLabels {
  /** The catalogue's kind, or `other` for a workflow type the catalogue does not list. */
  kind: string;
  plan: string;
}

export function operationLabels(workflowType: string, args: readonly unknown[]): OperationLabels {
  const input = args[0];
  const plan =
    typeof input === 'object' && input !== null && 'plan' in input && typeof input.plan === 'string'
      ? input.plan
      : null;
  return {
    kind: KIND_OF_TYPE.get(workflowType) ?? 'other',
    plan: plan !== null && (PLAN_NAMES as readonly string[]).includes(plan) ? plan : 'none',
  };
}
