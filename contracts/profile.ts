// /api/v1/me: the signed-in user's own account.
import { z } from 'zod';
import { displayNameField, newPasswordField } from './accounts.ts';
import { User } from './auth.ts';
import { emailField } from './common.ts';

export const Me = User.extend({ emailVerified: z.boolean() }).meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

export const UpdateProfileRequest = z
  .strictObject({ displayName: displayNameField })
  .meta({ id: 'UpdateProfileRequest' });
export type UpdateProfileRequest = z.infer<typeof UpdateProfileRequest>;

export const ChangePasswordRequest = z
  .strictObject({
    currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
    newPassword: newPasswordField,
  })
  .meta({ id: 'ChangePasswordRequest' });
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const ChangeEmailRequest = z.strictObject({ email: emailField }).meta({ id: 'ChangeEmailRequest' });
export type ChangeEmailRequest = z.infer<typeof ChangeEmailRequest>;

/** 202: the confirmation mail went to the new address; the address changes once confirmed. */
export const EmailChangeRequested = z.object({ pendingEmail: z.string() });
export type EmailChangeRequested = z.infer<typeof EmailChangeRequested>;
