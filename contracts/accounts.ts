// Accounts: signing up (an account and its organization), verifying the email address and
// resetting a forgotten password. The field rules are shared by the API (request
// validation) and the portal (the same rules check its forms in the browser and in its
// actions).
import { z } from 'zod';
import { Session } from './auth.ts';
import { emailField } from './common.ts';
import { OperationSummary } from './operations.ts';
import { slugField, Tenant, TenantPlan } from './tenants.ts';

export const newPasswordField = z
  .string()
  .min(12, 'Use at least 12 characters.')
  .max(1024, 'Use at most 1024 characters.')
  .meta({ description: 'At least 12 characters.' });
export const displayNameField = z.string().trim().min(1, 'Enter your name.').max(200, 'Use at most 200 characters.');
export const organizationNameField = z
  .string()
  .trim()
  .min(1, 'Enter the organization name.')
  .max(200, 'Use at most 200 characters.');

export const SignupRequest = z
  .strictObject({
    email: emailField,
    password: newPasswordField,
    displayName: displayNameField,
    organization: z.strictObject({ name: organizationNameField, slug: slugField }),
    plan: TenantPlan.default('free'),
  })
  .meta({ id: 'SignupRequest' });
/** What a client sends (the plan may be left out). */
export type SignupRequest = z.input<typeof SignupRequest>;

/**
 * 202 to POST /auth/signup and /auth/signup/resend: the same answer, word for word, whatever
 * the address (the mail tells its owner whether it has an account).
 */
export const SignupRequested = z.object({ detail: z.string() }).meta({ id: 'SignupRequested' });
export type SignupRequested = z.infer<typeof SignupRequested>;

export const SignupResendRequest = z.strictObject({ email: emailField }).meta({ id: 'SignupResendRequest' });
export type SignupResendRequest = z.infer<typeof SignupResendRequest>;

/** POST /auth/signup/confirm: the token of the mailed link. */
export const SignupConfirmRequest = z
  .strictObject({ token: z.string().min(20, 'This is not a link Atrium sent.').max(200) })
  .meta({ id: 'SignupConfirmRequest' });
export type SignupConfirmRequest = z.infer<typeof SignupConfirmRequest>;

/** 202 to POST /auth/signup/confirm: the new account's session, its tenant and the provisioning. */
export const SignupAccepted = z.object({
  session: Session,
  tenant: Tenant.pick({ id: true, slug: true, name: true, plan: true, status: true }),
  operation: OperationSummary.pick({ id: true, kind: true, tenantId: true, links: true }),
});
export type SignupAccepted = z.infer<typeof SignupAccepted>;

/** The portal's signup form: the same fields, flat, as a form posts them. */
export const SignupForm = z.object({
  email: emailField,
  password: newPasswordField,
  displayName: displayNameField,
  organizationName: organizationNameField,
  slug: slugField,
});
export type SignupForm = z.infer<typeof SignupForm>;

export function signupBodyFromForm(form: SignupForm): SignupRequest {
  return {
    email: form.email,
    password: form.password,
    displayName: form.displayName,
    organization: { name: form.organizationName, slug: form.slug },
  };
}

/** The token of a mailed link (verification, password reset). */
export const accountTokenField = z.string().min(20, 'This is not a link Atrium sent.').max(200);

export const VerifyEmailRequest = z.strictObject({ token: accountTokenField });
export type VerifyEmailRequest = z.infer<typeof VerifyEmailRequest>;

/** POST /auth/verify-email and /auth/verify-email/resend. */
export const EmailVerification = z.object({ email: z.string(), verified: z.boolean() });
export type EmailVerification = z.infer<typeof EmailVerification>;

export const PasswordResetRequest = z.strictObject({ email: emailField }).meta({ id: 'PasswordResetRequest' });
export type PasswordResetRequest = z.infer<typeof PasswordResetRequest>;

/** The same answer whether or not the account exists. */
export const PasswordResetRequested = z.object({ detail: z.string() });
export type PasswordResetRequested = z.infer<typeof PasswordResetRequested>;

export const PasswordResetConfirm = z
  .strictObject({ token: accountTokenField, password: newPasswordField })
  .meta({ id: 'PasswordResetConfirm' });
export type PasswordResetConfirm = z.infer<typeof PasswordResetConfirm>;

/** The portal's reset form. */
export const ResetPasswordForm = z.object({
  token: z.string().min(20, 'This is not a link Atrium sent.'),
  password: newPasswordField,
});
export type ResetPasswordForm = z.infer<typeof ResetPasswordForm>;
