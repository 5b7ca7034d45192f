// What every Atrium workflow shares with the API: the "operation" view of a workflow
// (kind, tenant, step-by-step progress), the query that reads it, and the search
// attributes operators filter on. Imports nothing Node-only.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';
import type { OperationKind } from '../catalogue.ts';
import type { OperationPhase, StepStatus } from './operation-vocabulary.ts';

// The kinds are the catalogue's rows (workflows/catalogue.ts).
export { OPERATION_KINDS } from '../catalogue.ts';
export type { OperationKind };
export type { OperationPhase, StepStatus } from './operation-vocabulary.ts';

export const TenantIdSearchAttribute = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const OperationKindSearchAttribute = defineSearchAttributeKey('OperationKind', SearchAttributeType.KEYWORD);
/** The connector connection an operation is about (connect, disconnect; later refresh and syncs). */
export const ConnectionIdSearchAttribute = defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD);

export interface StepProgress {
  name: string;
  title: string;
  status: StepStatus;
  startedAt: string | null;
  completedAt: string | null;
  /** What went wrong, in words an operator can act on. */
  error: string | null;
  /** Attempt number of the activity for the running step, when it has been retried. */
  attempt: number | null;
  /** What a running step waits for, in words (a freeze window, a soak time). */
  note?: string | null;
}

export interface OperationProgress {
  kind: OperationKind;
  /** Null for a platform-wide operation (the catalogue's scope `platform`). */
  tenantId: string | null;
  /** `cancelled`: the operation was called off and undid what it had done (it completed). */
  phase: OperationPhase;
  steps: StepProgress[];
  error: string | null;
}

export const getProgressQuery = defineQuery<OperationProgress>('getProgress');

/** Durations a workflow uses, passed in by the starter so tests can shorten them. */
export interface ActivityTimings {
  /** A dead worker is noticed after this long without a heartbeat (ms). */
  heartbeatTimeoutMs: number;
  /** Longest a single activity attempt may run (ms). */
  startToCloseTimeoutMs: number;
}
