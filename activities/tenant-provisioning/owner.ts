// The tenant's owner, settled by provisioning: a tenant ends provisioning with an owner
// member, or with an owner invitation mailed to the address it was created for.
//
// Signups arrive with their owner (the account and the membership are written with the
// tenant row), so nothing happens for them. A tenant a platform admin created for
// `ownerEmail` gets that account as its owner when the account exists and its address is
// verified; an unverified account could belong to someone who typed another person's address,
// so it gets an invitation (the mailbox proves who accepts) like an address with no account.
import { randomBytes } from 'node:crypto';
import { addMembershipIfAbsent, findMembership, lockOwners, setMemberRole } from '../../db/repositories/memberships.ts';
import { replaceInvitation } from '../../db/repositories/invitations.ts';
import { findUserByEmail } from '../../db/repositories/users.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';

export type OwnerState =
  /** The tenant has an owner already (a signup, or an earlier step): nothing was done. */
  | { kind: 'present' }
  /** The verified account of `ownerEmail` was made the owner now (audited). */
  | { kind: 'added'; userId: string }
  /** No verified account has that address: an invitation is needed. */
  | { kind: 'no-account' };

/**
 * Makes the verified account of `ownerEmail` the tenant's owner unless the tenant has an
 * owner. Retry-safe: looks first, adds only what is missing, audits what it added, in the
 * caller's transaction (which holds the tenant lock).
 */
export async function addOwnerIfAccountExists(
  tx: TenantStepTransaction,
  tenantId: string,
  ownerEmail: string,
): Promise<OwnerState> {
  const { db, audit, auditChange } = tx;
  if ((await lockOwners(db, tenantId)).length > 0) return { kind: 'present' };
  const account = await findUserByEmail(db, ownerEmail);
  if (!account?.email_verified_at) return { kind: 'no-account' };
  const membership = await findMembership(db, tenantId, account.id);
  if (membership) {
    // Already a member with a lesser role (added by hand before provisioning got here).
    await setMemberRole(db, tenantId, account.id, 'owner');
    await auditChange(
      'member.role_changed',
      'user',
      account.id,
      { role: membership.role },
      { role: 'owner', via: 'provisioning' },
    );
    await tx.emit('member.role_changed', { userId: account.id, from: membership.role, to: 'owner' });
  } else {
    await addMembershipIfAbsent(db, tenantId, account.id, 'owner');
    await audit('member.added', 'user', account.id, { role: 'owner', email: account.email, via: 'provisioning' });
    await tx.emit('member.joined', { userId: account.id, email: account.email, role: 'owner', via: 'provisioning' });
  }
  return { kind: 'added', userId: account.id };
}

/**
 * Invites `ownerEmail` as the tenant's owner (withdrawing a pending invitation of that
 * address) and returns the token for the mail: it is stored only as a hash. Call it in the
 * transaction that records the mail as sent, so a retry after success does not invite again.
 */
export async function inviteOwner(
  tx: TenantStepTransaction,
  input: { tenantId: string; ownerEmail: string; invitedBy: string | null; ttlMs: number },
): Promise<{ invitationId: string; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const invitation = await replaceInvitation(tx.db, {
    tenantId: input.tenantId,
    email: input.ownerEmail,
    role: 'owner',
    token,
    invitedBy: input.invitedBy,
    ttlMs: input.ttlMs,
  });
  await tx.audit('invitation.created', 'invitation', invitation.id, {
    email: input.ownerEmail,
    role: 'owner',
    replacedPending: invitation.replaced,
    via: 'provisioning',
  });
  return { invitationId: invitation.id, token };
}
