// The single sign-on contract shared by the API (request validation) and the portal (the
// same schemas check the settings and domain forms in the browser and in the actions).
import { z } from 'zod';

export const SSO_ROLES = ['admin', 'developer', 'viewer'] as const;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const ssoDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN, 'Enter a domain such as example.com (no scheme, no @).');

export const SsoConnectionBody = z
  .strictObject({
    issuer: z
      .url({ protocol: /^https?$/, error: 'Enter the issuer URL, e.g. https://login.example.com.' })
      .max(500)
      .meta({ description: "The provider's issuer identifier; its /.well-known/openid-configuration must answer." }),
    clientId: z.string().trim().min(1, 'Enter the client id.').max(500),
    clientSecret: z
      .string()
      .min(1, 'Enter the client secret.')
      .max(2000)
      .optional()
      .meta({ description: 'Required the first time; left out, the stored secret stays. Never returned.' }),
    defaultRole: z.enum(SSO_ROLES, 'Choose the role new people get.').default('viewer'),
    ssoRequired: z
      .boolean()
      .default(false)
      .meta({ description: 'Members must sign in through this provider (needs a verified domain).' }),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'SsoConnectionRequest' });

/** The portal's settings form: checkbox fields arrive as "on" or missing. */
export const SsoConnectionForm = z.object({
  issuer: SsoConnectionBody.shape.issuer,
  clientId: SsoConnectionBody.shape.clientId,
  clientSecret: z
    .string()
    .max(2000)
    .transform((value) => (value === '' ? undefined : value))
    .optional(),
  defaultRole: z.enum(SSO_ROLES, 'Choose the role new people get.'),
  ssoRequired: z.literal('on').optional(),
  enabled: z.literal('on').optional(),
});
export type SsoConnectionFormValues = z.infer<typeof SsoConnectionForm>;

export function ssoConnectionBodyFromForm(form: SsoConnectionFormValues): z.input<typeof SsoConnectionBody> {
  return {
    issuer: form.issuer,
    clientId: form.clientId,
    ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
    defaultRole: form.defaultRole,
    ssoRequired: form.ssoRequired === 'on',
    enabled: form.enabled === 'on',
  };
}

export const SsoDomainBody = z
  .strictObject({
    domain: ssoDomain,
    verificationEmail: z
      .email('Enter an address at the domain that can receive the verification link.')
      .max(320)
      .meta({ description: 'An address at the domain; the verification link goes there.' }),
  })
  .superRefine((body, ctx) => {
    const at = body.verificationEmail.toLowerCase().split('@')[1];
    if (at !== body.domain)
      ctx.addIssue({
        code: 'custom',
        path: ['verificationEmail'],
        message: `Use an address at ${body.domain}: whoever reads its mail proves the domain is yours.`,
      });
  })
  .meta({ id: 'SsoDomainRequest' });

export const SsoLoginEmail = z.email('Enter your work email address.').max(320);

export interface SsoConnectionView {
  issuer: string;
  clientId: string;
  clientSecretSet: boolean;
  defaultRole: (typeof SSO_ROLES)[number];
  ssoRequired: boolean;
  enabled: boolean;
  redirectUri: string;
  updatedAt: string;
}

export interface SsoDomainView {
  domain: string;
  verificationEmail: string;
  verified: boolean;
  verifiedAt: string | null;
  verificationExpiresAt: string | null;
}
