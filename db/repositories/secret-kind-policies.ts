// A tenant's default rotation policy per secret kind (secret_kind_rotation_policies, under
// row-level security; docs/decisions/0039). A secret without a policy of its own follows its
// kind's: see EFFECTIVE_EVERY_SECONDS in tenant-secrets.ts.
import type { EntityManager } from 'typeorm';
import type { SecretKind } from '../../contracts/secrets.ts';

export interface SecretKindPolicyRow {
  tenant_id: string;
  kind: SecretKind;
  every_seconds: number;
  updated_at: Date;
}

export function listSecretKindPolicies(db: EntityManager, tenantId: string): Promise<SecretKindPolicyRow[]> {
  return db.query<SecretKindPolicyRow[]>(
    `SELECT * FROM secret_kind_rotation_policies WHERE tenant_id = $1 ORDER BY kind`,
    [tenantId],
  );
}

/** The kind's policy; `lock` holds the row (or, with none, the tenant's kind changes) until the commit. */
export async function findSecretKindPolicy(
  db: EntityManager,
  tenantId: string,
  kind: SecretKind,
  options: { lock?: boolean } = {},
): Promise<SecretKindPolicyRow | null> {
  const [row] = await db.query<SecretKindPolicyRow[]>(
    `SELECT * FROM secret_kind_rotation_policies WHERE tenant_id = $1 AND kind = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [tenantId, kind],
  );
  return row ?? null;
}

/** Sets the kind's policy, or removes it (`everySeconds` null). */
export async function saveSecretKindPolicy(
  db: EntityManager,
  input: { tenantId: string; kind: SecretKind; everySeconds: number | null },
): Promise<void> {
  if (input.everySeconds === null) {
    await db.query(`DELETE FROM secret_kind_rotation_policies WHERE tenant_id = $1 AND kind = $2`, [
      input.tenantId,
      input.kind,
    ]);
    return;
  }
  await db.query(
    `INSERT INTO secret_kind_rotation_policies (tenant_id, kind, every_seconds) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, kind) DO UPDATE SET every_seconds = EXCLUDED.every_seconds, updated_at = now()`,
    [input.tenantId, input.kind, input.everySeconds],
  );
}

/** The tenant's live secrets of the kind that have no policy of their own (they follow the kind's). */
export function listSecretsFollowingKind(
  db: EntityManager,
  tenantId: string,
  kind: SecretKind,
): Promise<Array<{ id: string }>> {
  return db.query(
    `SELECT id FROM tenant_secrets
     WHERE tenant_id = $1 AND kind = $2 AND deleted_at IS NULL AND rotation_every_seconds IS NULL ORDER BY created_at`,
    [tenantId, kind],
  );
}
