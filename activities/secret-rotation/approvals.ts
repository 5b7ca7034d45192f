// The steps of the production-secret approvals (workflows/secret-rotation/secret-approval.ts,
// docs/decisions/0035). A change's new value was staged in the secret store by the API, at a
// store version no secret version names; these steps make it current or destroy it. A reveal's
// approval becomes a grant the reveal route consumes once. Each step is one transaction under
// the tenant lock, safe to repeat (the row's status says what was done), and audited; no value
// is read here, and none goes into a result, a log line or an audit entry.
import { ApplicationFailure } from '@temporalio/activity';
import type { SecretApprovalRow } from '../../db/repositories/secret-approvals.ts';
import { findSecretApproval, updateSecretApproval } from '../../db/repositories/secret-approvals.ts';
import { addTenantSecretVersion, findTenantSecret } from '../../db/repositories/tenant-secrets.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput, TenantStepTransaction } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

export interface SecretApprovalRef extends TenantActivityInput {
  secretId: string;
  kind: 'change' | 'reveal';
  number: number;
}

async function loadApproval(tx: TenantStepTransaction, ref: SecretApprovalRef): Promise<SecretApprovalRow> {
  const row = await findSecretApproval(tx.db, ref, { lock: true });
  if (!row)
    throw ApplicationFailure.nonRetryable(
      `No ${ref.kind} ${ref.number} of secret ${ref.secretId} is recorded.`,
      'SecretApprovalMissing',
    );
  return row;
}

/** Where the secret's values live, even once the secret is deleted (its path is kept). */
async function storePathOf(tx: TenantStepTransaction, secretId: string): Promise<string | null> {
  const rows = await tx.db.query<Array<{ store_path: string }>>(`SELECT store_path FROM tenant_secrets WHERE id = $1`, [
    secretId,
  ]);
  return rows[0]?.store_path ?? null;
}

export function createSecretApprovalActivities(deps: ActivityDeps) {
  const { secretStore } = deps;

  /** Destroys a change's staged value (no secret version names it); destroying it twice succeeds. */
  async function destroyStaged(tx: TenantStepTransaction, row: SecretApprovalRow): Promise<void> {
    const path = await storePathOf(tx, row.secret_id);
    if (path && row.staged_store_version !== null) await secretStore.destroyVersions(path, [row.staged_store_version]);
  }

  return {
    /**
     * An approved change: the staged store version becomes the secret's new current version
     * (the replaced one kept for SECRET_VERSION_RETENTION), audited `secret.version_added` as
     * the immediate path is, with the approval. A secret deleted meanwhile gets no version:
     * the staged value is destroyed and the change ends `failed`.
     */
    async applyStagedSecretVersion(
      ref: SecretApprovalRef & { versionRetentionMs: number; approvedBy: string | null; approvalRequestId: string },
    ): Promise<{ version: number | null; detail: string | null }> {
      return lockedTenantStep(deps, ref, async (tx) => {
        const row = await loadApproval(tx, ref);
        if (row.status === 'applied') return { version: row.version, detail: null };
        if (row.status !== 'awaiting-approval') return { version: null, detail: row.detail };
        const secret = await findTenantSecret(tx.db, ref.tenantId, ref.secretId, { lock: true });
        if (!secret) {
          const detail =
            'The secret was deleted while the change waited for its approval; the new value was destroyed.';
          await destroyStaged(tx, row);
          await updateSecretApproval(tx.db, ref, { status: 'failed', detail });
          await tx.audit('secret.change_failed', 'tenant_secret', ref.secretId, { change: ref.number, detail });
          return { version: null, detail };
        }
        const version = await addTenantSecretVersion(tx.db, secret, {
          storeVersion: row.staged_store_version!,
          createdBy: row.requested_by,
          retainUntil: new Date(Date.now() + ref.versionRetentionMs),
        });
        await updateSecretApproval(tx.db, ref, { status: 'applied', version });
        await tx.auditChange(
          'secret.version_added',
          'tenant_secret',
          ref.secretId,
          { version: secret.current_version },
          { version, change: ref.number, approvalRequest: ref.approvalRequestId, approvedBy: ref.approvedBy },
        );
        return { version, detail: null };
      });
    },

    /** A rejected or expired change: the staged value is destroyed, the current version unchanged. */
    async discardStagedSecretVersion(ref: SecretApprovalRef & { reason: string }): Promise<void> {
      await lockedTenantStep(deps, ref, async (tx) => {
        const row = await loadApproval(tx, ref);
        if (row.status !== 'awaiting-approval') return;
        await destroyStaged(tx, row);
        await updateSecretApproval(tx.db, ref, { status: 'rejected', detail: ref.reason });
        await tx.audit('secret.change_rejected', 'tenant_secret', ref.secretId, {
          change: ref.number,
          reason: ref.reason,
        });
      });
    },

    /** An approved reveal: the requester may reveal the version once until the grant ends. */
    async grantSecretReveal(
      ref: SecretApprovalRef & { grantWindowMs: number; approvedBy: string | null; approvalRequestId: string },
    ): Promise<{ granted: boolean; grantExpiresAt: string | null }> {
      return lockedTenantStep(deps, ref, async (tx) => {
        const row = await loadApproval(tx, ref);
        if (row.status === 'granted') return { granted: true, grantExpiresAt: row.grant_expires_at!.toISOString() };
        if (row.status !== 'awaiting-approval') return { granted: false, grantExpiresAt: null };
        const grantExpiresAt = new Date(Date.now() + ref.grantWindowMs);
        await updateSecretApproval(tx.db, ref, { status: 'granted', grantExpiresAt });
        await tx.audit('secret.reveal_granted', 'tenant_secret', ref.secretId, {
          reveal: ref.number,
          version: row.reveal_version,
          grantExpiresAt: grantExpiresAt.toISOString(),
          approvalRequest: ref.approvalRequestId,
          approvedBy: ref.approvedBy,
        });
        return { granted: true, grantExpiresAt: grantExpiresAt.toISOString() };
      });
    },

    /** A rejected or expired reveal: no grant. */
    async refuseSecretReveal(ref: SecretApprovalRef & { reason: string }): Promise<void> {
      await lockedTenantStep(deps, ref, async (tx) => {
        const row = await loadApproval(tx, ref);
        if (row.status !== 'awaiting-approval') return;
        await updateSecretApproval(tx.db, ref, { status: 'rejected', detail: ref.reason });
        await tx.audit('secret.reveal_rejected', 'tenant_secret', ref.secretId, {
          reveal: ref.number,
          reason: ref.reason,
        });
      });
    },
  };
}
