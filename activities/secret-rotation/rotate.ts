// rotateSecret's steps for the automatic strategies (generated values, API keys), in workflow
// order: prepare, create the new version, update and verify the consumers, switch, retire; and
// the roll-back. Values are read from the secret store inside each activity and go only to the
// store and to the consumers' hooks: never into a result, a log line, an audit entry or an event.
import { ApplicationFailure } from '@temporalio/activity';
import type { ConsumerCheck } from '../../contracts/secret-rotation.ts';
import { STRATEGY_OF_KIND } from '../../contracts/secret-rotation.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { SecretRotationRow, StoredRotationSettings } from '../../db/repositories/secret-rotations.ts';
import {
  findRotation,
  insertPendingSecretVersion,
  readRotationSettings,
  restoreSecretVersion,
  switchCurrentSecretVersion,
  updateRotation,
} from '../../db/repositories/secret-rotations.ts';
import type { TenantSecretRow } from '../../db/repositories/tenant-secrets.ts';
import {
  findTenantSecret,
  findTenantSecretVersion,
  nextTenantSecretVersion,
} from '../../db/repositories/tenant-secrets.ts';
import type { RotationPlan } from '../../workflows/secret-rotation/contract.ts';
import { ROTATION_FAILURE_TYPES } from '../../workflows/secret-rotation/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';
import { tenantStep } from '../shared/kernel.ts';
import { alertOwners } from './alerts.ts';
import { callHook } from './consumers.ts';
import type { AutomaticStrategy, StrategyContext } from './strategies.ts';
import { AUTOMATIC_STRATEGIES } from './strategies.ts';

/** The default overlap window when the tenant set none: an hour. */
export const DEFAULT_OVERLAP_MS = 3_600_000;

export interface RotationRef {
  tenantId: string;
  slug: string;
  secretId: string;
  number: number;
  actor?: AuditActor;
  /** SECRET_VERSION_RETENTION: replaced and abandoned values are kept at least this long. */
  versionRetentionMs: number;
}

interface Loaded {
  secret: TenantSecretRow;
  rotation: SecretRotationRow;
  settings: StoredRotationSettings;
}

/** The secret, its rotation (locked) and its settings; a rotation whose secret is gone ends. */
export async function loadRotation(tx: TenantStepTransaction, ref: RotationRef): Promise<Loaded> {
  const rotation = await findRotation(tx.db, ref.tenantId, ref.secretId, ref.number, { lock: true });
  const secret = await findTenantSecret(tx.db, ref.tenantId, ref.secretId, { lock: true });
  if (!rotation || !secret)
    throw ApplicationFailure.nonRetryable(
      `Secret ${ref.secretId} (rotation ${ref.number}) no longer exists.`,
      ROTATION_FAILURE_TYPES.unusable,
    );
  return { secret, rotation, settings: await readRotationSettings(tx.db, ref.secretId) };
}

export function createRotateActivities(deps: ActivityDeps) {
  const { secretStore } = deps;

  /** A version's value, read from the store version its row names. */
  async function valueOf(tx: TenantStepTransaction, secret: TenantSecretRow, version: number): Promise<string> {
    const row = await findTenantSecretVersion(tx.db, secret.id, version);
    const stored =
      row && !row.purged_at ? await secretStore.read(secret.store_path, { version: row.store_version }) : null;
    const value = stored?.data.value;
    if (typeof value !== 'string')
      throw ApplicationFailure.nonRetryable(
        `Version ${version} of secret ${secret.id} has no value in the secret store.`,
        ROTATION_FAILURE_TYPES.unusable,
      );
    return value;
  }

  function automatic(rotation: SecretRotationRow): AutomaticStrategy {
    if (rotation.strategy === 'manual')
      throw ApplicationFailure.nonRetryable('A manual rotation has no new value to make.', 'SecretRotationManual');
    return AUTOMATIC_STRATEGIES[rotation.strategy];
  }

  const contextOf = (
    tx: TenantStepTransaction,
    ref: RotationRef,
    settings: StoredRotationSettings,
  ): StrategyContext => ({
    db: tx.db,
    tx,
    tenantId: ref.tenantId,
    number: ref.number,
    settings,
  });

  /** Calls every consumer's hook in one phase and records the answers in the report. */
  async function callConsumers(
    ref: RotationRef,
    phase: 'update' | 'verify',
    toVersion: number,
  ): Promise<{ ok: boolean; message: string }> {
    return tenantStep(deps, ref, async (step) => {
      const { secret, rotation, settings, value } = await step.locked(async (tx) => {
        const loaded = await loadRotation(tx, ref);
        return { ...loaded, value: await valueOf(tx, loaded.secret, toVersion) };
      });
      const strategy = automatic(rotation);
      const previous = new Map(rotation.report.map((entry) => [entry.consumer, entry]));
      const report: ConsumerCheck[] = [];
      for (const consumer of secret.consumers) {
        const before = previous.get(consumer) ?? blankCheck(consumer);
        const url = settings.verifyHooks?.[consumer];
        if (!url) {
          report.push({ ...before, outcome: 'refused', detail: 'No verify hook declared for this consumer.' });
          continue;
        }
        const answer = await callHook(deps.outbound, url, { phase, secretId: secret.id, version: toVersion, value });
        const success = phase === 'update' ? 'updated' : 'verified';
        const now = new Date().toISOString();
        // A retry that gets the same answer keeps the first one's times: the report says when
        // each consumer first took the value.
        if (answer.ok && before.outcome === success) report.push(before);
        else if (answer.ok)
          report.push(
            phase === 'update'
              ? { ...before, outcome: 'updated', updatedAt: now, detail: answer.detail }
              : { ...before, outcome: 'verified', verifiedAt: now, detail: answer.detail },
          );
        else
          report.push({
            ...before,
            outcome: answer.outcome === 'refused' ? 'refused' : 'unreachable',
            detail: `${phase}: ${answer.detail}`,
          });
      }
      if (phase === 'verify' && strategy.selfCheck) {
        const check = await step.locked((tx) => strategy.selfCheck!(contextOf(tx, ref, settings), value));
        const now = new Date().toISOString();
        const earlier = previous.get(check.consumer);
        report.push(
          earlier && !check.problem && earlier.outcome === 'verified'
            ? earlier
            : {
                consumer: check.consumer,
                outcome: check.problem ? 'refused' : 'verified',
                updatedAt: now,
                verifiedAt: check.problem ? null : now,
                detail: check.problem,
              },
        );
      }
      const failed = report.filter((entry) => entry.outcome === 'refused' || entry.outcome === 'unreachable');
      if (JSON.stringify(report) !== JSON.stringify(rotation.report))
        await step.locked(async (tx) => {
          await updateRotation(tx.db, rotation.id, { report });
          await tx.audit(
            `secret.rotation_${phase === 'update' ? 'consumers_updated' : 'consumers_verified'}`,
            'tenant_secret',
            ref.secretId,
            {
              rotation: ref.number,
              version: toVersion,
              consumers: report.map(({ consumer, outcome }) => ({ consumer, outcome })),
            },
          );
        });
      const message = failed.length
        ? `${phase === 'update' ? 'Update' : 'Verify'} failed for ${failed.map((entry) => `${entry.consumer} (${entry.detail ?? entry.outcome})`).join(', ')}.`
        : `${report.length} consumer(s) ${phase === 'update' ? 'updated' : 'verified'}.`;
      return { ok: failed.length === 0, message };
    });
  }

  return {
    /**
     * Reads how the secret is rotated and starts the report (every consumer pending).
     * Retry-safe: it only reads, and rewrites the report while nothing was made yet.
     */
    async prepareRotation(ref: RotationRef): Promise<RotationPlan> {
      return tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const { secret, rotation, settings } = await loadRotation(tx, ref);
          const strategy = STRATEGY_OF_KIND[secret.kind];
          if (rotation.to_version === null && rotation.status === 'running' && strategy !== 'manual')
            await updateRotation(tx.db, rotation.id, { report: secret.consumers.map(blankCheck) });
          const overlapMs = settings.overlapMs ?? DEFAULT_OVERLAP_MS;
          return {
            strategy,
            fromVersion: rotation.from_version,
            consumers: secret.consumers,
            overlapMs,
            confirmWithinMs: overlapMs,
          };
        }),
      );
    },

    /**
     * Makes the new value and stores it as a version that is not current yet (the old one stays
     * current and valid). Value first: the store version is written before any row names it.
     * Retry-safe: a rotation that already has its version returns it; a store version written
     * by an attempt whose transaction failed is never served (no row names it) and is destroyed.
     */
    async createRotationVersion(ref: RotationRef): Promise<{ toVersion: number }> {
      return tenantStep(deps, ref, async (step) => {
        const first = await step.locked(async (tx) => {
          const loaded = await loadRotation(tx, ref);
          if (loaded.rotation.to_version !== null) return { done: loaded.rotation.to_version };
          return {
            done: null,
            ...loaded,
            currentValue: await valueOf(tx, loaded.secret, loaded.rotation.from_version),
          };
        });
        if (first.done !== null) return { toVersion: first.done };
        const strategy = automatic(first.rotation);
        const value = strategy.makeValue(first.settings);
        const { version: storeVersion } = await secretStore.write(first.secret.store_path, { value });
        const made = await step.locked(async (tx) => {
          const { rotation, settings } = await loadRotation(tx, ref);
          if (rotation.to_version !== null) return null;
          await strategy.commit?.(contextOf(tx, ref, settings), first.currentValue, value);
          const version = await nextTenantSecretVersion(tx.db, ref.secretId);
          await insertPendingSecretVersion(tx.db, {
            secretId: ref.secretId,
            tenantId: ref.tenantId,
            version,
            storeVersion,
          });
          await updateRotation(tx.db, rotation.id, { to_version: version });
          await tx.audit('secret.rotation_version_created', 'tenant_secret', ref.secretId, {
            rotation: ref.number,
            version,
            current: rotation.from_version,
          });
          return version;
        });
        if (made === null) {
          await secretStore.destroyVersions(first.secret.store_path, [storeVersion]).catch(() => undefined);
          const again = await step.locked(async (tx) => (await loadRotation(tx, ref)).rotation.to_version);
          return { toVersion: again as number };
        }
        return { toVersion: made };
      });
    },

    /** Hands the new value to every consumer's hook. Retry-safe: a consumer told twice keeps the same value. */
    async updateRotationConsumers(ref: RotationRef & { toVersion: number }): Promise<{ ok: boolean; message: string }> {
      return callConsumers(ref, 'update', ref.toVersion);
    },

    /**
     * Asks every consumer's hook to prove it works with the new value (and, for API keys, checks
     * that the new key authenticates). Retry-safe: verifying changes nothing at the consumers.
     */
    async verifyRotationConsumers(ref: RotationRef & { toVersion: number }): Promise<{ ok: boolean; message: string }> {
      return callConsumers(ref, 'verify', ref.toVersion);
    },

    /**
     * Makes the new version current; the old one stays valid until the overlap window ends (an
     * old API key gets that as its expiry: the grace period the tenant sees). Emits
     * `secret.rotated`. Retry-safe: a rotation already in its window answers its end.
     */
    async switchRotationVersion(
      ref: RotationRef & { toVersion: number; overlapMs: number },
    ): Promise<{ overlapUntil: string }> {
      return tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const { secret, rotation, settings } = await loadRotation(tx, ref);
          if (rotation.status === 'overlap' && rotation.overlap_until)
            return { overlapUntil: rotation.overlap_until.toISOString() };
          const overlapUntil = new Date(Date.now() + ref.overlapMs);
          const oldValue = await valueOf(tx, secret, rotation.from_version);
          await automatic(rotation).onSwitch?.(contextOf(tx, ref, settings), oldValue, overlapUntil);
          const retainUntil = new Date(Math.max(overlapUntil.getTime(), Date.now() + ref.versionRetentionMs));
          await switchCurrentSecretVersion(tx.db, ref.secretId, {
            fromVersion: rotation.from_version,
            toVersion: ref.toVersion,
            retainUntil,
          });
          await updateRotation(tx.db, rotation.id, { status: 'overlap', overlap_until: overlapUntil });
          await tx.auditChange(
            'secret.rotation_switched',
            'tenant_secret',
            ref.secretId,
            { version: rotation.from_version },
            { version: ref.toVersion, rotation: ref.number, oldValidUntil: overlapUntil.toISOString() },
          );
          await tx.emit('secret.rotated', {
            secretId: ref.secretId,
            name: secret.name,
            rotation: ref.number,
            fromVersion: rotation.from_version,
            toVersion: ref.toVersion,
            overlapUntil: overlapUntil.toISOString(),
          });
          return { overlapUntil: overlapUntil.toISOString() };
        }),
      );
    },

    /** Ends the overlap window: the old value is retired (an old API key revoked). Retry-safe: a completed rotation is left alone. */
    async retireOldVersion(ref: RotationRef & { toVersion: number }): Promise<void> {
      await tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const { secret, rotation, settings } = await loadRotation(tx, ref);
          if (rotation.status !== 'overlap') return;
          const strategy = automatic(rotation);
          if (strategy.retire)
            await strategy.retire(contextOf(tx, ref, settings), await valueOf(tx, secret, rotation.from_version));
          await updateRotation(tx.db, rotation.id, { status: 'completed', finished: true });
          await tx.audit('secret.rotation_completed', 'tenant_secret', ref.secretId, {
            rotation: ref.number,
            fromVersion: rotation.from_version,
            toVersion: ref.toVersion,
            verified: rotation.report.filter((entry) => entry.outcome === 'verified').map((entry) => entry.consumer),
          });
        }),
      );
    },

    /**
     * Rolls back: the consumers that were handed the new value get the old one back, the old
     * version is (again) current and valid, the new one is abandoned (an API key revoked), and
     * the owners and admins are alerted (audit entry, `secret.rotation_failed`, mail).
     * Retry-safe: a rolled-back rotation is not changed or audited again; mails carry fixed
     * Message-IDs.
     */
    async rollBackRotation(ref: RotationRef & { toVersion: number | null; reason: string }): Promise<void> {
      await tenantStep(deps, ref, async (step) => {
        const read = await step.locked(async (tx) => {
          const loaded = await loadRotation(tx, ref);
          const oldValue = await valueOf(tx, loaded.secret, loaded.rotation.from_version);
          const newValue =
            ref.toVersion === null ? null : await valueOf(tx, loaded.secret, ref.toVersion).catch(() => null);
          return { ...loaded, oldValue, newValue };
        });
        const { secret, rotation, settings } = read;
        let report = rotation.report;
        if (rotation.status !== 'rolled_back') {
          report = [];
          for (const entry of rotation.report) {
            const url = settings.verifyHooks?.[entry.consumer];
            // Every consumer that took the new value gets the old one back, the one that then
            // refused it included; one that never took it has nothing to undo.
            if (!url || entry.updatedAt === null) {
              report.push(entry);
              continue;
            }
            const answer = await callHook(deps.outbound, url, {
              phase: 'rollback',
              secretId: secret.id,
              version: rotation.from_version,
              value: read.oldValue,
            });
            const failed = entry.outcome === 'refused' || entry.outcome === 'unreachable';
            report.push(
              failed
                ? { ...entry, detail: `${entry.detail ?? entry.outcome}; rollback: ${answer.detail}` }
                : { ...entry, outcome: 'rolled_back', detail: `rollback: ${answer.detail}` },
            );
          }
        }
        await step.locked(async (tx) => {
          const again = await loadRotation(tx, ref);
          if (again.rotation.status === 'rolled_back') return;
          if (read.newValue !== null)
            await automatic(again.rotation).abandon?.(contextOf(tx, ref, settings), read.newValue);
          await restoreSecretVersion(tx.db, ref.secretId, {
            fromVersion: again.rotation.from_version,
            toVersion: ref.toVersion,
            retainUntil: new Date(Date.now() + ref.versionRetentionMs),
          });
          await updateRotation(tx.db, again.rotation.id, {
            status: 'rolled_back',
            report,
            message: ref.reason,
            finished: true,
          });
          await tx.auditChange(
            'secret.rotation_rolled_back',
            'tenant_secret',
            ref.secretId,
            { version: ref.toVersion },
            { version: again.rotation.from_version, rotation: ref.number, reason: ref.reason },
          );
          await tx.emit('secret.rotation_failed', {
            secretId: ref.secretId,
            name: secret.name,
            rotation: ref.number,
            outcome: 'rolled_back',
            currentVersion: again.rotation.from_version,
            reason: ref.reason,
          });
        });
        await alertOwners(deps, step, ref, {
          key: 'rolled-back',
          subject: `Rotation of "${secret.name}" rolled back`,
          lines: [
            `Rotation ${ref.number} of the secret "${secret.name}" (${secret.environment}) was rolled back: ${ref.reason}`,
            '',
            `Version ${rotation.from_version} is current again and still valid; nothing needs to be done for the`,
            'consumers to keep working. Fix the consumer, then rotate again.',
          ],
        });
      });
    },

    /** Ends a rotation that could not start (no strategy, a secret that is gone). Retry-safe: a closed rotation is left alone. */
    async failRotation(ref: RotationRef & { message: string }): Promise<void> {
      await tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const rotation = await findRotation(tx.db, ref.tenantId, ref.secretId, ref.number, { lock: true });
          if (!rotation || rotation.status !== 'running') return;
          await updateRotation(tx.db, rotation.id, { status: 'failed', message: ref.message, finished: true });
          await tx.audit('secret.rotation_failed', 'tenant_secret', ref.secretId, {
            rotation: ref.number,
            reason: ref.message,
          });
          const secret = await findTenantSecret(tx.db, ref.tenantId, ref.secretId);
          if (secret)
            await tx.emit('secret.rotation_failed', {
              secretId: ref.secretId,
              name: secret.name,
              rotation: ref.number,
              outcome: 'failed',
              currentVersion: secret.current_version,
              reason: ref.message,
            });
        }),
      );
    },

    /** The secret's current version (or the rotation's starting one when the secret is gone). Retry-safe: reads only. */
    async currentSecretVersion(ref: RotationRef): Promise<number> {
      return tenantStep(deps, ref, (step) =>
        step.locked(async (tx) => {
          const secret = await findTenantSecret(tx.db, ref.tenantId, ref.secretId);
          if (secret) return secret.current_version;
          const rotation = await findRotation(tx.db, ref.tenantId, ref.secretId, ref.number);
          return rotation?.from_version ?? 1;
        }),
      );
    },
  };
}

function blankCheck(consumer: string): ConsumerCheck {
  return { consumer, outcome: 'pending', updatedAt: null, verifiedAt: null, detail: null };
}
