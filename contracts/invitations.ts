// Invitations: a tenant's pending invitations (invite, list, withdraw) and the invitee's
// side (what an invitation offers, accepting it).
import { z } from 'zod';
import { displayNameField, newPasswordField } from './accounts.ts';
import { Session } from './auth.ts';
import { emailField, TenantPath } from './common.ts';
import { Role } from './members.ts';

export const INVITATION_STATES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export const InvitationState = z.enum(INVITATION_STATES);
export type InvitationState = z.infer<typeof InvitationState>;

export const InviteRequest = z.strictObject({ email: emailField, role: Role }).meta({ id: 'InviteRequest' });
export type InviteRequest = z.infer<typeof InviteRequest>;

export const PendingInvitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: Role,
  /** The inviter's email; null when an API key invited. */
  invitedBy: z.string().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type PendingInvitation = z.infer<typeof PendingInvitation>;

export const PendingInvitationList = z.object({ items: z.array(PendingInvitation) });
export type PendingInvitationList = z.infer<typeof PendingInvitationList>;

export const InvitationCreated = z.object({
  id: z.uuid(),
  email: z.string(),
  role: Role,
  /** False when the mail could not be sent: the invitation stands, inviting again mails a fresh link. */
  mailed: z.boolean(),
});
export type InvitationCreated = z.infer<typeof InvitationCreated>;

export const InvitationPath = TenantPath.extend({ invitationId: z.uuid('Must be an invitation id (UUID).') });

export const InvitationTokenPath = z.object({
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'This is not an invitation link Atrium sent.'),
});

const TenantName = z.object({ slug: z.string(), name: z.string() });

/** GET /api/v1/invitations/:token: what the invitation offers. */
export const InvitationOffer = z.object({
  tenant: TenantName,
  email: z.string(),
  role: Role,
  state: InvitationState,
  accountExists: z.boolean(),
});
export type InvitationOffer = z.infer<typeof InvitationOffer>;

export const AcceptInvitationRequest = z
  .strictObject({ displayName: displayNameField.optional(), password: newPasswordField.optional() })
  .meta({
    id: 'AcceptInvitationRequest',
    description: 'A new user sends a name and a password; a signed-in user sends nothing.',
  });
export type AcceptInvitationRequest = z.infer<typeof AcceptInvitationRequest>;

/** 200 for an existing account (no session), 201 for a new one, signed in. */
export const InvitationAccepted = z.object({
  membership: z.object({ tenant: TenantName, role: Role }),
  session: Session.nullable(),
});
export type InvitationAccepted = z.infer<typeof InvitationAccepted>;
