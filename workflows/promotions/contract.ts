// The contract of the promotions family (docs/decisions/0023). promoteRelease
// (`promotion/<slug>/<environment>/<number>`) runs one release in one environment of a tenant:
// it checks the request (the environment, the release, who may deploy there), waits for the
// approval the environment's policy asks for, applies the release's Deployment in the
// environment's namespace `tenant-<slug>-<environment>`, watches the rollout until it is
// available or failed, rolls back to the previous release when it failed, and records the
// outcome on the promotion. The API records the promotion (requested) before it starts it.
import { defineSignal } from '@temporalio/workflow';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const PROMOTION_KIND = 'promotion' satisfies OperationKind;

export function promotionWorkflowId(slug: string, environment: string, number: number): string {
  return OPERATION_CATALOGUE[PROMOTION_KIND].workflowId({ slug, environment, number });
}

/** The Deployment every release of a tenant's application runs as, in each environment. */
export const APPLICATION_DEPLOYMENT = 'app';

/** The release id recorded on the Deployment and its pods (a label value). */
export function releaseLabel(number: number): string {
  return `release-${number}`;
}

/** How a rollout is watched: the cluster's progress deadline, how often it is read, for how long at most. */
export interface RolloutWatch {
  progressDeadlineSeconds: number;
  pollIntervalMs: number;
  /** The longest the watch of one rollout waits for `available` before it counts as failed. */
  timeoutMs: number;
  /**
   * How often a held promotion reads its hold again when nothing else wakes it (a suspension
   * has no end time; a signal may be missed). Absent in promotions started before holds: 5 min.
   */
  holdRecheckMs?: number;
}

/** The `hold` step (docs/decisions/0024); promotions started before it deploy without one. */
export const PROMOTION_HOLD_PATCH = 'promotion-hold-before-deploy';

/**
 * Sent by the API when an environment's protection changes or a tenant is reactivated: a held
 * promotion reads its hold again at once (a freeze lifted early lets it go on).
 */
export const recheckHoldSignal = defineSignal('recheckHold');

export interface PromoteReleaseInput {
  tenantId: string;
  slug: string;
  environment: string;
  /** The promotion's number in the environment. */
  number: number;
  /** The release to run there. */
  release: number;
  requestedBy: AuditActor;
  /** The requesting user (separation of duties: never an approver of their own request); null for an API key. */
  requesterId: string | null;
  /** The requester's tenant role, checked against the environment's protection (`deployRoles`). */
  requesterRole: string;
  /** The environment's effective approval policy, read by the API when it started the promotion. */
  policy: ApprovalPolicy;
  rollout: RolloutWatch;
  timings: ActivityTimings;
}

export type PromotionOutcome = 'succeeded' | 'rolled-back' | 'failed' | 'rejected';

export interface PromoteReleaseResult {
  environment: string;
  number: number;
  release: number;
  status: PromotionOutcome;
  previousRelease: number | null;
  detail: string | null;
  progress: OperationProgress;
}

export const PROMOTION_STEPS = [
  { name: 'check', title: 'Check the environment, the release and who may deploy there' },
  { name: 'approval', title: 'Wait for the approval the environment’s policy asks for' },
  { name: 'hold', title: 'Wait out a freeze window, the soak time or a suspension' },
  { name: 'deploy', title: 'Apply the release’s Deployment in the environment’s namespace' },
  { name: 'watch', title: 'Watch the rollout until it is available' },
  { name: 'rollback', title: 'Roll back to the previous release and watch it become available' },
  { name: 'record', title: 'Record the outcome' },
] as const;
export type PromotionStep = (typeof PROMOTION_STEPS)[number]['name'];
