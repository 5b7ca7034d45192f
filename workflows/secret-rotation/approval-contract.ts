// The contract of the production-secret approvals (docs/decisions/0035), in the secret-rotation
// family: a new value or a reveal of a secret whose environment's approval policy asks for an
// approval waits for it on the approval primitive (workflows/approvals/gate.ts).
//
// changeSecretWithApproval (`secret-change/<slug>/<secret>/<n>`): the API staged the new value
// in the secret store, at a version no secret version names, before it started the workflow.
//   approval  the environment's policy decides who approves (never the requester)
//   apply     approved: the staged store version becomes the secret's current version, audited
//             as the immediate path audits it (`secret.version_added`)
//   discard   rejected or expired: the staged store version is destroyed
//
// revealSecretWithApproval (`secret-reveal/<slug>/<secret>/<n>`):
//   approval  as above
//   grant     approved: the requester may reveal the version asked for once, within the grant
//             window (SECRET_REVEAL_GRANT_WINDOW); the reveal route consumes it
//
// Only references travel here: ids, numbers, store versions. Never a value.
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const SECRET_CHANGE_KIND = 'secret-change' satisfies OperationKind;
export const SECRET_REVEAL_KIND = 'secret-reveal' satisfies OperationKind;

export function secretChangeWorkflowId(slug: string, secretId: string, number: number): string {
  return OPERATION_CATALOGUE[SECRET_CHANGE_KIND].workflowId({ slug, secretId, number });
}

export function secretRevealWorkflowId(slug: string, secretId: string, number: number): string {
  return OPERATION_CATALOGUE[SECRET_REVEAL_KIND].workflowId({ slug, secretId, number });
}

export interface SecretApprovalInput {
  tenantId: string;
  slug: string;
  secretId: string;
  /** The secret's name and environment, for the request's label (metadata, never a value). */
  name: string;
  environment: string;
  /** The change's or reveal's number (its secret_approvals row was recorded before the start). */
  number: number;
  requestedBy: AuditActor;
  approval: {
    /** Chosen by the API, which answers it with the 202. */
    requestId: string;
    requesterId: string | null;
    /** The environment's effective approval policy, read by the API when it started the workflow. */
    policy: ApprovalPolicy;
  };
  timings: ActivityTimings;
}

export interface ChangeSecretInput extends SecretApprovalInput {
  /** The store version the new value was staged at. */
  stagedStoreVersion: number;
  /** SECRET_VERSION_RETENTION: how long the replaced value is kept. */
  versionRetentionMs: number;
}

export interface RevealSecretInput extends SecretApprovalInput {
  /** The secret version to reveal. */
  version: number;
  /** SECRET_REVEAL_GRANT_WINDOW: how long the approved reveal may be used. */
  grantWindowMs: number;
}

export type SecretApprovalOutcome = 'applied' | 'granted' | 'rejected';

export interface SecretApprovalResult {
  secretId: string;
  number: number;
  outcome: SecretApprovalOutcome;
  /** A change: the version the value became. A reveal: the version granted. */
  version: number | null;
  /** A reveal: until when the grant may be used. */
  grantExpiresAt: string | null;
  progress: OperationProgress;
}

export const SECRET_CHANGE_STEPS = [
  { name: 'approval', title: 'Wait for the approval the environment’s policy asks for' },
  { name: 'apply', title: 'Make the staged value the current version (or destroy it when rejected)' },
] as const;
export type SecretChangeStep = (typeof SECRET_CHANGE_STEPS)[number]['name'];

export const SECRET_REVEAL_STEPS = [
  { name: 'approval', title: 'Wait for the approval the environment’s policy asks for' },
  { name: 'grant', title: 'Grant the requester one reveal for a short time' },
] as const;
export type SecretRevealStep = (typeof SECRET_REVEAL_STEPS)[number]['name'];
