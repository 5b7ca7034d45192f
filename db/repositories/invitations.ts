// Every query on invitations. Inviting and listing run in the tenant's scope; the token
// lookup of the accept flow runs in the platform scope (the invitee is not a member yet).
import type { EntityManager } from 'typeorm';
import { hashAccountToken } from './account-tokens.ts';
import type { InvitationState } from '../../contracts/invitations.ts';
import type { Role } from '../../contracts/members.ts';

export interface InvitationRow {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  invited_by_email: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

/** Revokes the address's pending invitation (if any) and creates a new one. */
export async function replaceInvitation(
  db: EntityManager,
  input: { tenantId: string; email: string; role: Role; token: string; invitedBy: string | null; ttlMs: number },
): Promise<{ id: string; replaced: boolean }> {
  const replaced = await db.query<unknown[]>(
    `WITH r AS (
       UPDATE invitations SET revoked_at = now()
       WHERE tenant_id = $1 AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id
     ) SELECT id FROM r`,
    [input.tenantId, input.email],
  );
  const [row] = await db.query<Array<{ id: string }>>(
    `INSERT INTO invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond') RETURNING id`,
    [input.tenantId, input.email, input.role, hashAccountToken(input.token), input.invitedBy, input.ttlMs],
  );
  return { id: row!.id, replaced: replaced.length > 0 };
}

/** Whether the address has an invitation to the tenant that may still be accepted. */
export async function hasPendingInvitation(db: EntityManager, tenantId: string, email: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM invitations WHERE tenant_id = $1 AND lower(email) = lower($2)
       AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()`,
    [tenantId, email],
  );
  return rows.length > 0;
}

export function listPendingInvitations(db: EntityManager, tenantId: string): Promise<InvitationRow[]> {
  return db.query<InvitationRow[]>(
    `SELECT i.id, i.tenant_id, i.email, i.role, u.email AS invited_by_email, i.created_at, i.expires_at,
            i.accepted_at, i.revoked_at
     FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
     WHERE i.tenant_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
     ORDER BY i.created_at DESC`,
    [tenantId],
  );
}

export async function revokeInvitation(db: EntityManager, tenantId: string, id: string): Promise<InvitationRow | null> {
  const rows = await db.query<InvitationRow[]>(
    `WITH r AS (
       UPDATE invitations SET revoked_at = now()
       WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING *
     ) SELECT id, tenant_id, email, role, NULL AS invited_by_email, created_at, expires_at, accepted_at, revoked_at FROM r`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export interface InvitationByToken {
  id: string;
  tenant_id: string;
  tenant_slug: string;
  tenant_name: string;
  email: string;
  role: Role;
  state: InvitationState;
}

/** The invitation a token names (platform scope); `lock` holds it for the accepting transaction. */
export async function findInvitationByToken(
  db: EntityManager,
  token: string,
  options: { lock?: boolean } = {},
): Promise<InvitationByToken | null> {
  const rows = await db.query<InvitationByToken[]>(
    `SELECT i.id, i.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, i.email, i.role,
            CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                 WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END AS state
     FROM invitations i JOIN tenants t ON t.id = i.tenant_id
     WHERE i.token_hash = $1 ${options.lock ? 'FOR UPDATE OF i' : ''}`,
    [hashAccountToken(token)],
  );
  return rows[0] ?? null;
}

export async function markInvitationAccepted(db: EntityManager, id: string, userId: string): Promise<void> {
  await db.query(`UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1`, [id, userId]);
}
