// Single sign-on: a tenant's OpenID Connect provider and its verified email domains, and
// signing in through them. The request schemas are shared by the API (request validation)
// and the portal (the same schemas check its settings and domain forms).
import { z } from 'zod';
import { TenantPath } from './common.ts';
import { Session } from './auth.ts';

/** The roles people who join through single sign-on may get (never owner). */
export const SSO_ROLES = ['admin', 'developer', 'viewer'] as const;
export const SsoRole = z.enum(SSO_ROLES);
export type SsoRole = z.infer<typeof SsoRole>;

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const ssoDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN, 'Enter a domain such as example.com (no scheme, no @).');

export const SsoConnectionRequest = z
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
/** What a client sends (defaults may be left out). */
export type SsoConnectionRequest = z.input<typeof SsoConnectionRequest>;

/** The portal's settings form: checkbox fields arrive as "on" or missing. */
export const SsoConnectionForm = z.object({
  issuer: SsoConnectionRequest.shape.issuer,
  clientId: SsoConnectionRequest.shape.clientId,
  clientSecret: z
    .string()
    .max(2000)
    .transform((value) => (value === '' ? undefined : value))
    .optional(),
  defaultRole: z.enum(SSO_ROLES, 'Choose the role new people get.'),
  ssoRequired: z.literal('on').optional(),
  enabled: z.literal('on').optional(),
});
export type SsoConnectionForm = z.infer<typeof SsoConnectionForm>;

export function ssoConnectionBodyFromForm(form: SsoConnectionForm): SsoConnectionRequest {
  return {
    issuer: form.issuer,
    clientId: form.clientId,
    ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
    defaultRole: form.defaultRole,
    ssoRequired: form.ssoRequired === 'on',
    enabled: form.enabled === 'on',
  };
}

export const SsoConnection = z
  .object({
    issuer: z.string(),
    clientId: z.string(),
    clientSecretSet: z.boolean(),
    defaultRole: SsoRole,
    ssoRequired: z.boolean(),
    enabled: z.boolean(),
    redirectUri: z.string().meta({ description: 'Register exactly this redirect URI at the provider.' }),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'SsoConnection' });
export type SsoConnection = z.infer<typeof SsoConnection>;

export const SsoSettings = z
  .object({
    connection: SsoConnection.nullable(),
    redirectUri: z.string(),
  })
  .meta({ id: 'SsoSettings' });
export type SsoSettings = z.infer<typeof SsoSettings>;

export const SsoDomainRequest = z
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
export type SsoDomainRequest = z.infer<typeof SsoDomainRequest>;

export const SsoDomain = z
  .object({
    domain: z.string(),
    verificationEmail: z.string(),
    verified: z.boolean(),
    verifiedAt: z.iso.datetime().nullable(),
    verificationExpiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'SsoDomain' });
export type SsoDomain = z.infer<typeof SsoDomain>;

export const SsoDomainList = z.object({ items: z.array(SsoDomain) });
export type SsoDomainList = z.infer<typeof SsoDomainList>;

/** 201 waiting for verification (the link was mailed, `mailed`), 200 verified already. */
export const SsoDomainAdded = z.object({ domain: SsoDomain, mailed: z.boolean() });
export type SsoDomainAdded = z.infer<typeof SsoDomainAdded>;

export const SsoDomainPath = TenantPath.extend({ domain: ssoDomain });

export const SsoDomainVerificationRequest = z
  .strictObject({ token: z.string().min(1).max(200) })
  .meta({ id: 'SsoDomainVerificationRequest' });
export type SsoDomainVerificationRequest = z.infer<typeof SsoDomainVerificationRequest>;

export const SsoDomainVerified = z.object({
  domain: z.string(),
  tenant: z.object({ slug: z.string().nullable(), name: z.string().nullable() }),
});
export type SsoDomainVerified = z.infer<typeof SsoDomainVerified>;

// Signing in.

export const SsoLoginEmail = z.email('Enter your work email address.').max(320);

const SsoTenant = z.object({ slug: z.string(), name: z.string() });

export const SsoDiscoverRequest = z.strictObject({ email: SsoLoginEmail }).meta({ id: 'SsoDiscoverRequest' });
export type SsoDiscoverRequest = z.infer<typeof SsoDiscoverRequest>;

export const SsoDiscovery = z
  .object({
    sso: z.boolean(),
    required: z.boolean().meta({ description: 'Password sign-in is refused for this address.' }),
    tenant: SsoTenant.nullable(),
  })
  .meta({ id: 'SsoDiscovery' });
export type SsoDiscovery = z.infer<typeof SsoDiscovery>;

/** A path inside the portal to land on afterwards: never another origin. */
const returnTo = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])[^\s]*$/, 'Must be a path inside the portal, starting with a single /.');

export const SsoStartRequest = z
  .strictObject({
    tenant: z.string().min(1).max(40).optional().meta({ description: 'The organization (slug).' }),
    email: SsoLoginEmail.optional().meta({
      description: 'Or a work email address: its domain finds the organization.',
    }),
    returnTo: returnTo.optional(),
  })
  .refine((body) => body.tenant !== undefined || body.email !== undefined, {
    path: ['tenant'],
    message: 'Name the organization or give your work email address.',
  })
  .meta({ id: 'SsoStartRequest' });
export type SsoStartRequest = z.infer<typeof SsoStartRequest>;

export const SsoStart = z
  .object({
    authorizationUrl: z.string().meta({ description: 'Send the browser here.' }),
    state: z.string().meta({ description: "Keep it with the browser's session; the callback must match it." }),
    tenant: SsoTenant,
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'SsoStart' });
export type SsoStart = z.infer<typeof SsoStart>;

export const SsoCallbackRequest = z
  .strictObject({
    query: z
      .string()
      .min(1)
      .max(8000)
      .meta({ description: 'The query string the provider redirected to the redirect URI with (without "?").' }),
  })
  .meta({ id: 'SsoCallbackRequest' });
export type SsoCallbackRequest = z.infer<typeof SsoCallbackRequest>;

export const SsoCallback = z
  .object({
    session: Session,
    tenant: SsoTenant,
    returnTo: z.string().nullable(),
    accountCreated: z.boolean(),
    membershipCreated: z.boolean(),
  })
  .meta({ id: 'SsoCallback' });
export type SsoCallback = z.infer<typeof SsoCallback>;
