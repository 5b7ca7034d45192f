// Account fields shared by the API (request validation) and the portal (the same rules
// check the signup and reset forms in the browser and in the portal's actions). zod only.
import { z } from 'zod';
import { TENANT_PLANS } from '../../db/entities/tenant.ts';

export const emailField = z.email('Enter a valid email address.');
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
export const slugField = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'Use 3 to 40 lowercase letters, digits or dashes, starting with a letter.')
  .meta({ description: 'URL-safe tenant name; fixed once created.', example: 'acme' });

export const SignupBody = z
  .strictObject({
    email: emailField,
    password: newPasswordField,
    displayName: displayNameField,
    organization: z.strictObject({ name: organizationNameField, slug: slugField }),
    plan: z.enum(TENANT_PLANS).default('free'),
  })
  .meta({ id: 'SignupRequest' });

/** The portal's signup form: the same fields, flat, as a form posts them. */
export const SignupForm = z.object({
  email: emailField,
  password: newPasswordField,
  displayName: displayNameField,
  organizationName: organizationNameField,
  slug: slugField,
});

export function signupBodyFromForm(form: z.infer<typeof SignupForm>): z.input<typeof SignupBody> {
  return {
    email: form.email,
    password: form.password,
    displayName: form.displayName,
    organization: { name: form.organizationName, slug: form.slug },
  };
}

export const ResetPasswordForm = z.object({
  token: z.string().min(20, 'This is not a link Atrium sent.'),
  password: newPasswordField,
});
