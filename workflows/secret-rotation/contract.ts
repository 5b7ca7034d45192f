// The contract of the secret-rotation family.
//
// rotateSecret (`secret-rotate/<slug>/<secret>/<n>`) rotates one secret by its kind's strategy
// (contracts/secret-rotation.ts, STRATEGY_OF_KIND), never leaving a moment without a valid value:
// make the new version → update every consumer → verify every consumer → switch the current
// version → keep the old one valid for the overlap window → retire it. A failed verify rolls
// back: the old version stays current and valid, the consumers get it back, and the tenant is
// alerted (audit entry, event, mail). Kinds Atrium cannot rotate itself get a reminder instead:
// the owners are mailed, and the rotation waits for a member to confirm it was done.
//
// scheduledSecretRotation (`secret-rotation/<slug>/<secret>-<due time>`) is what a rotation
// policy's Temporal Schedule (`secret-rotation/<slug>/<secret>`) starts: it claims the next
// rotation number and runs rotateSecret as its child, or does nothing when the secret is gone,
// has no policy any more, already rotates, or its tenant is not active.
//
// rotateSigningKey (`signing-key-rotate/<deployment>/<rotation id>`, docs/decisions/0030)
// rotates the platform's access-token signing key: publish the new key as `next` → wait until
// every live API process holds it (and the JWKS cache lifetime) → make it current (the old one
// retiring) → wait until every live process signs with it → wait until every token the old key
// signed has expired → remove the old key → wait until every live process dropped it. A new key
// no process set picks up in time is withdrawn, and the rotation ends failed with an alert.
//
// rotateDatabaseLogin (`database-login-rotate/<slug>/<rotation id>`, docs/decisions/0032)
// rotates a tenant's database login (the `database-login` strategy): the idle one of its two
// logins gets a new password → every consumer gets the new credentials (the secret store
// entry, the namespaces' Kubernetes Secrets) → each is verified with a real connection → the
// new login becomes current → the old one keeps working for the overlap window → it is
// disabled. A failed step before the switch rolls back (the old login stays current and
// valid) and alerts.
//
// Only references travel here: ids, version numbers, kids and consumer names, never a value.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { OperationKind } from '../catalogue.ts';
import { OPERATION_CATALOGUE } from '../catalogue.ts';
import type { ActivityTimings, OperationProgress } from '../shared/operation.contract.ts';

export const ROTATE_SECRET_KIND = 'secret-rotate' satisfies OperationKind;
export const ROTATE_SIGNING_KEY_KIND = 'signing-key-rotate' satisfies OperationKind;
export const SCHEDULED_ROTATION_KIND = 'secret-rotation' satisfies OperationKind;
export const SCHEDULED_SIGNING_KEY_ROTATION_KIND = 'signing-key-rotation' satisfies OperationKind;

/** A signing-key rotation policy's Schedule id (`signing-key-rotation/<deployment>/<purpose>`). */
export function signingKeyRotationScheduleId(deployment: string, purpose: SigningKeyPurposeName): string {
  return OPERATION_CATALOGUE[SCHEDULED_SIGNING_KEY_ROTATION_KIND].workflowId({ deployment, purpose });
}

/**
 * What a signing-key policy's Schedule starts each time: rotateSigningKey's input but the
 * rotation id, which each run makes (docs/decisions/0038).
 */
export interface ScheduledSigningKeyRotationInput extends Omit<RotateSigningKeyInput, 'rotationId'> {
  /** The deployment (TEMPORAL_TASK_QUEUE prefix): names the child's workflow id. */
  deployment: string;
}

export interface ScheduledSigningKeyRotationResult {
  rotationId: string;
  outcome: SigningKeyRotationOutcome;
}
export const ROTATE_DATABASE_LOGIN_KIND = 'database-login-rotate' satisfies OperationKind;
export const DATABASE_LOGIN_SCHEDULE_KIND = 'database-login-rotation' satisfies OperationKind;

export function rotateSecretWorkflowId(slug: string, secretId: string, number: number): string {
  return OPERATION_CATALOGUE[ROTATE_SECRET_KIND].workflowId({ slug, secretId, number });
}

/** The rotation policy's Schedule id; also the prefix of the ids of the workflows it starts. */
export function rotationScheduleId(slug: string, secretId: string): string {
  return OPERATION_CATALOGUE[SCHEDULED_ROTATION_KIND].workflowId({ slug, secretId });
}

/** The strategies rotateSecret runs (contracts/secret-rotation.ts names which kind gets which). */
export type Strategy = 'generated' | 'api-key' | 'manual';

export interface RotateSecretInput {
  tenantId: string;
  slug: string;
  secretId: string;
  /** The rotation's number: its row in secret_rotations was claimed before the start. */
  number: number;
  requestedBy: AuditActor;
  /** SECRET_VERSION_RETENTION: how long a replaced or abandoned value is kept (at least the overlap). */
  versionRetentionMs: number;
  timings: ActivityTimings;
}

export type RotationOutcome = 'completed' | 'rolled_back' | 'failed' | 'confirmed' | 'unconfirmed';

export interface RotateSecretResult {
  secretId: string;
  number: number;
  outcome: RotationOutcome;
  /** The current version when it ended (the old one after a roll-back). */
  currentVersion: number;
  progress: OperationProgress;
}

/** What the first step found: how this secret is rotated, and its consumers. */
export interface RotationPlan {
  strategy: Strategy;
  fromVersion: number;
  consumers: string[];
  overlapMs: number;
  /** Manual rotations: how long the owners have to confirm (the reminder's due date). */
  confirmWithinMs: number;
}

export interface ScheduledRotationInput {
  tenantId: string;
  slug: string;
  secretId: string;
  versionRetentionMs: number;
  timings: ActivityTimings;
}

export interface ScheduledRotationResult {
  /** The rotation started, or why none was. */
  number: number | null;
  skipped: string | null;
  outcome: RotationOutcome | null;
}

export const ROTATE_SECRET_STEPS = [
  { name: 'prepare', title: 'Read the secret, its strategy and its consumers' },
  { name: 'create', title: 'Make the new version (the old one stays current and valid)' },
  { name: 'update', title: 'Hand the new value to every consumer' },
  { name: 'verify', title: 'Verify that every consumer works with the new value' },
  { name: 'switch', title: 'Make the new version current; the old one stays valid for the overlap window' },
  { name: 'retire', title: 'End the overlap window: the old value is retired (API keys: revoked)' },
  { name: 'remind', title: 'Mail the owners that the secret must be rotated by hand' },
  { name: 'confirm', title: 'Wait for a member to confirm the manual rotation' },
] as const;
export type RotateSecretStep = (typeof ROTATE_SECRET_STEPS)[number]['name'];

/** Who confirmed a manual rotation: the API checks their permission before it sends this. */
export interface ManualConfirmation {
  actor: AuditActor;
}

/** A member says the manual rotation is done; refused unless the rotation waits for exactly that. */
export const confirmManualRotationUpdate = defineUpdate<{ confirmedAt: string }, [ManualConfirmation]>(
  'confirmManualRotation',
);

export interface RotationState {
  strategy: Strategy | null;
  status: 'preparing' | 'rotating' | 'overlap' | 'waiting_confirmation' | 'done';
}

export const getRotationStateQuery = defineQuery<RotationState>('getRotationState');

/** Stable failure types (ApplicationFailure.type) the activities end a rotation with. */
export const ROTATION_FAILURE_TYPES = {
  /** The secret is gone, or is not what its strategy needs (an api-key secret holding no live key). */
  unusable: 'SecretRotationUnusable',
} as const;

export function rotateSigningKeyWorkflowId(deployment: string, rotationId: string): string {
  return OPERATION_CATALOGUE[ROTATE_SIGNING_KEY_KIND].workflowId({ deployment, rotationId });
}

/** What a signing keyring's keys sign (integrations/secrets/signing-keyring.ts; docs/decisions/0038). */
export type SigningKeyPurposeName = 'access-tokens' | 'licenses';

export interface RotateSigningKeyInput {
  /** Names the new key in the keyring, so a retried step finds what it wrote. */
  rotationId: string;
  /**
   * Absent: access tokens (every rotation before docs/decisions/0038). `licenses`: the worker
   * signs and rereads the keyring before every signing, so there is no process to wait for; the
   * old key's public half stays in the license JWKS for good (licenses do not expire).
   */
  purpose?: SigningKeyPurposeName;
  /** The keyring's secret path (the deployment's; never a key). */
  keyringPath: string;
  requestedBy: AuditActor;
  /** SIGNING_KEYS_RELOAD_INTERVAL: how often every API process rereads the keyring (and how often this looks). */
  reloadIntervalMs: number;
  /** A process unseen for this long is not live: it is not waited for. */
  liveWithinMs: number;
  /** SIGNING_KEY_DISTRIBUTION_TIMEOUT: the new key is withdrawn when some live process lacks it by then. */
  distributionTimeoutMs: number;
  /** JWKS_MAX_AGE: the new key is published at least this long before it signs. */
  jwksMaxAgeMs: number;
  /** ACCESS_TOKEN_TTL plus the accepted clock skew: how long a token lives at most after it is signed. */
  tokenLifetimeMs: number;
  timings: ActivityTimings;
}

/** `withdrawn`: the new key never reached every process and was taken out; `refused`: nothing was changed. */
export type SigningKeyRotationOutcome = 'completed' | 'withdrawn' | 'refused';

/** What one wait found: every live process, and the keyring version each reported. */
export interface ApiProcessCheck {
  /** The keyring version every process had to report (at least). */
  keyringVersion: number;
  processes: Array<{ id: string; hostname: string; pid: number; keyringVersion: number; signingKid: string }>;
  /** Those still behind (empty: the wait is over). */
  behind: string[];
  checkedAt: string;
}

export interface RotateSigningKeyResult {
  rotationId: string;
  outcome: SigningKeyRotationOutcome;
  /** Null when the rotation was refused before a key was made. */
  newKid: string | null;
  /** The key replaced (null when the rotation was withdrawn before the switch). */
  oldKid: string | null;
  /** Each wait's last check: who held what, and when (the rotation's report). */
  checks: Partial<Record<'publish' | 'switch' | 'remove', ApiProcessCheck>>;
  progress: OperationProgress;
}

export const ROTATE_SIGNING_KEY_STEPS = [
  { name: 'publish', title: 'Make the new key and publish it beside the current one (not signing yet)' },
  { name: 'distribute', title: 'Wait until every API process holds the new key' },
  { name: 'switch', title: 'Sign with the new key; the old one keeps verifying' },
  { name: 'confirm', title: 'Wait until every API process signs with the new key' },
  { name: 'expire', title: 'Wait until every token the old key signed has expired' },
  { name: 'remove', title: 'Remove the old key' },
  { name: 'settle', title: 'Wait until every API process has dropped the old key' },
] as const;
export type RotateSigningKeyStep = (typeof ROTATE_SIGNING_KEY_STEPS)[number]['name'];

export function rotateDatabaseLoginWorkflowId(slug: string, rotationId: string): string {
  return OPERATION_CATALOGUE[ROTATE_DATABASE_LOGIN_KIND].workflowId({ slug, rotationId });
}

/**
 * The rotation's working state in the secret store: which login becomes current, its password,
 * and the entry's version before. Present exactly while a rotation of the tenant is open.
 */
export function databaseLoginRotationPath(slug: string): string {
  return `tenants/${slug}/database-rotation`;
}

export interface RotateDatabaseLoginInput {
  tenantId: string;
  slug: string;
  /** Names the rotation's working state and its audit entries, so a retried step finds what it made. */
  rotationId: string;
  requestedBy: AuditActor;
  /** How long the old login keeps working after the switch. */
  overlapMs: number;
  timings: ActivityTimings;
}

/** What the first step found: the login in use, and the idle one that gets the new password. */
export interface DatabaseLoginPlan {
  fromLogin: string;
  toLogin: string;
  /** The secret store entry's version that holds the old credentials (a roll-back restores it). */
  fromVersion: number;
}

/** One consumer of the credentials, and what the rotation found there (never a password). */
export interface DatabaseLoginCheck {
  /** `secret-store:<path>` or `kubernetes:<namespace>/<secret>`. */
  consumer: string;
  outcome: 'updated' | 'verified' | 'refused';
  at: string;
  detail: string | null;
}

export type DatabaseLoginRotationOutcome = 'completed' | 'rolled_back' | 'failed';

export interface RotateDatabaseLoginResult {
  rotationId: string;
  outcome: DatabaseLoginRotationOutcome;
  /** The login the tenant's consumers use when it ended. */
  currentLogin: string | null;
  /** Every consumer verified (or refused), and when. */
  report: DatabaseLoginCheck[];
  progress: OperationProgress;
}

export const ROTATE_DATABASE_LOGIN_STEPS = [
  { name: 'prepare', title: 'Find the login in use and the idle one' },
  { name: 'password', title: 'Give the idle login a new password (the one in use is untouched)' },
  { name: 'update', title: 'Hand the new credentials to every consumer' },
  { name: 'verify', title: 'Connect as the new login with what every consumer holds' },
  { name: 'switch', title: 'Make the new login current; the old one keeps working for the overlap window' },
  { name: 'retire', title: 'End the overlap window: disable the old login' },
] as const;
export type RotateDatabaseLoginStep = (typeof ROTATE_DATABASE_LOGIN_STEPS)[number]['name'];

/** The Schedule of a tenant's database login rotation policy (docs/decisions/0036). */
export function databaseLoginScheduleId(slug: string): string {
  return OPERATION_CATALOGUE[DATABASE_LOGIN_SCHEDULE_KIND].workflowId({ slug });
}

/** What the policy's Schedule starts scheduledDatabaseLoginRotation with at each due time. */
export interface ScheduledDatabaseLoginRotationInput {
  tenantId: string;
  slug: string;
  overlapMs: number;
  timings: ActivityTimings;
}

export interface ScheduledDatabaseLoginRotationResult {
  /** The rotation it ran, or null when it skipped (`skipped` says why). */
  rotationId: string | null;
  skipped: string | null;
  outcome: DatabaseLoginRotationOutcome | null;
}
