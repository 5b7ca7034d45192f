// The Temporal Schedules a tenant owns, as its rows name them: one per connector sync
// (connector_syncs.schedule_id), one per secret with a rotation policy (its own or its kind's), and one for its
// database login rotation policy (tenant_database_login_policies). A suspension pauses
// them and its reactivation resumes them (activities/tenant-suspension/schedules.ts).
import type { EntityManager } from 'typeorm';
import { effectiveEverySeconds } from './tenant-secrets.ts';

export async function findTenantScheduleOwners(
  db: EntityManager,
  tenantId: string,
): Promise<{ syncScheduleIds: string[]; rotatedSecretIds: string[]; databaseLoginPolicy: boolean }> {
  const syncs = await db.query<Array<{ schedule_id: string }>>(
    `SELECT schedule_id FROM connector_syncs WHERE tenant_id = $1 ORDER BY created_at`,
    [tenantId],
  );
  const secrets = await db.query<Array<{ id: string }>>(
    `SELECT id FROM tenant_secrets
     WHERE tenant_id = $1 AND deleted_at IS NULL AND ${effectiveEverySeconds('tenant_secrets')} IS NOT NULL
     ORDER BY created_at`,
    [tenantId],
  );
  const policies = await db.query<unknown[]>(`SELECT 1 FROM tenant_database_login_policies WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return {
    syncScheduleIds: syncs.map((s) => s.schedule_id),
    rotatedSecretIds: secrets.map((s) => s.id),
    databaseLoginPolicy: policies.length > 0,
  };
}
