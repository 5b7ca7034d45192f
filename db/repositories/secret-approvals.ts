// Changes and reveals of production secrets that wait for an approval (secret_approvals,
// db/migrations/1765450000000-CreateSecretApprovals.ts; docs/decisions/0035). Never a value:
// a change names the secret store version its value was staged at. Callers pass a transaction
// in the tenant's scope (row-level security).
import type { EntityManager } from 'typeorm';

export type SecretApprovalKind = 'change' | 'reveal';
export type SecretApprovalStatus = 'awaiting-approval' | 'applied' | 'granted' | 'rejected' | 'failed';

export interface SecretApprovalRow {
  tenant_id: string;
  secret_id: string;
  kind: SecretApprovalKind;
  number: number;
  workflow_id: string;
  approval_request_id: string;
  requested_by: string | null;
  status: SecretApprovalStatus;
  detail: string | null;
  staged_store_version: number | null;
  version: number | null;
  reveal_version: number | null;
  grant_expires_at: Date | null;
  grant_used_at: Date | null;
  created_at: Date;
  decided_at: Date | null;
}

export async function nextSecretApprovalNumber(
  db: EntityManager,
  secretId: string,
  kind: SecretApprovalKind,
): Promise<number> {
  const rows = await db.query<Array<{ next: number }>>(
    `SELECT coalesce(max(number), 0)::int + 1 AS next FROM secret_approvals WHERE secret_id = $1 AND kind = $2`,
    [secretId, kind],
  );
  return rows[0]!.next;
}

export async function insertSecretApproval(
  db: EntityManager,
  row: Pick<
    SecretApprovalRow,
    | 'tenant_id'
    | 'secret_id'
    | 'kind'
    | 'number'
    | 'workflow_id'
    | 'approval_request_id'
    | 'requested_by'
    | 'staged_store_version'
    | 'reveal_version'
  >,
): Promise<void> {
  await db.query(
    `INSERT INTO secret_approvals (tenant_id, secret_id, kind, number, workflow_id, approval_request_id, requested_by,
       status, staged_store_version, reveal_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'awaiting-approval', $8, $9)`,
    [
      row.tenant_id,
      row.secret_id,
      row.kind,
      row.number,
      row.workflow_id,
      row.approval_request_id,
      row.requested_by,
      row.staged_store_version,
      row.reveal_version,
    ],
  );
}

export async function findSecretApproval(
  db: EntityManager,
  ref: { tenantId: string; secretId: string; kind: SecretApprovalKind; number: number },
  options: { lock?: boolean } = {},
): Promise<SecretApprovalRow | null> {
  const rows = await db.query<SecretApprovalRow[]>(
    `SELECT * FROM secret_approvals WHERE tenant_id = $1 AND secret_id = $2 AND kind = $3 AND number = $4
     ${options.lock ? 'FOR UPDATE' : ''}`,
    [ref.tenantId, ref.secretId, ref.kind, ref.number],
  );
  return rows[0] ?? null;
}

export async function updateSecretApproval(
  db: EntityManager,
  ref: { secretId: string; kind: SecretApprovalKind; number: number },
  change: {
    status: SecretApprovalStatus;
    detail?: string | null;
    version?: number;
    grantExpiresAt?: Date;
  },
): Promise<void> {
  await db.query(
    `UPDATE secret_approvals SET status = $4, detail = coalesce($5, detail), version = coalesce($6, version),
       grant_expires_at = coalesce($7, grant_expires_at), decided_at = coalesce(decided_at, now())
     WHERE secret_id = $1 AND kind = $2 AND number = $3`,
    [
      ref.secretId,
      ref.kind,
      ref.number,
      change.status,
      change.detail ?? null,
      change.version ?? null,
      change.grantExpiresAt ?? null,
    ],
  );
}

/**
 * Uses a reveal grant once: only the requester's, granted, unexpired and unused. Null when
 * none matched (the caller reads the row to say why).
 */
export async function consumeRevealGrant(
  db: EntityManager,
  ref: { tenantId: string; secretId: string; number: number; userId: string },
): Promise<SecretApprovalRow | null> {
  const rows = await db.query<SecretApprovalRow[]>(
    `UPDATE secret_approvals SET grant_used_at = now()
     WHERE tenant_id = $1 AND secret_id = $2 AND kind = 'reveal' AND number = $3 AND requested_by = $4
       AND status = 'granted' AND grant_used_at IS NULL AND grant_expires_at > now()
     RETURNING *`,
    [ref.tenantId, ref.secretId, ref.number, ref.userId],
  );
  return rows[0] ?? null;
}

/** The secret's changes and reveals waiting for an approval or granted, newest first. */
export async function listSecretApprovals(
  db: EntityManager,
  tenantId: string,
  secretId: string,
): Promise<SecretApprovalRow[]> {
  return db.query<SecretApprovalRow[]>(
    `SELECT * FROM secret_approvals WHERE tenant_id = $1 AND secret_id = $2 ORDER BY created_at DESC LIMIT 50`,
    [tenantId, secretId],
  );
}
