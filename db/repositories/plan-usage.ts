// What a plan's limits count for one tenant (members, environments, connectors, API keys): the
// numbers a downgrade is checked against, and the counts the API checks before adding one more.
// Every function runs in the caller's transaction, scoped to the tenant.
import type { EntityManager } from 'typeorm';
import type { PlanUsage } from '../../contracts/plans.ts';
import { LIVE_CONNECTION_STATUSES } from './connectors.ts';

const USABLE_API_KEYS = `SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > now())`;

/** What the plan's limits count: members, environments (live rows of tenant_environments), live connectors, usable API keys. */
export async function countPlanUsage(db: EntityManager, tenantId: string): Promise<PlanUsage> {
  const [row] = await db.query<Array<Record<keyof PlanUsage, string>>>(
    `SELECT
       (SELECT count(*) FROM memberships WHERE tenant_id = $1) AS members,
       (SELECT count(*) FROM tenant_environments WHERE tenant_id = $1 AND deleted_at IS NULL) AS environments,
       (SELECT count(*) FROM connector_connections WHERE tenant_id = $1 AND status = ANY($2)) AS connectors,
       (${USABLE_API_KEYS}) AS "apiKeys"`,
    [tenantId, LIVE_CONNECTION_STATUSES],
  );
  return {
    members: Number(row?.members ?? 0),
    environments: Number(row?.environments ?? 0),
    connectors: Number(row?.connectors ?? 0),
    apiKeys: Number(row?.apiKeys ?? 0),
  };
}

/** API keys that still work (neither revoked nor expired). */
export async function countUsableApiKeys(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ count: string }>>(USABLE_API_KEYS, [tenantId]);
  return Number(row?.count ?? 0);
}

/** Members, and invitations that may still be accepted: each may become a member. */
export async function countMembersAndPendingInvitations(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ count: string }>>(
    `SELECT (SELECT count(*) FROM memberships WHERE tenant_id = $1)
          + (SELECT count(*) FROM invitations WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
               AND expires_at > now()) AS count`,
    [tenantId],
  );
  return Number(row?.count ?? 0);
}

export async function countMembers(db: EntityManager, tenantId: string): Promise<number> {
  const [row] = await db.query<Array<{ count: string }>>(`SELECT count(*) FROM memberships WHERE tenant_id = $1`, [
    tenantId,
  ]);
  return Number(row?.count ?? 0);
}
