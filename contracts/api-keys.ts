// A tenant's API keys. The create request is shared by the API (request validation) and
// the portal (its form schema checks the same fields in the browser and in its action).
import { z } from 'zod';
import { TenantPath } from './common.ts';
import { Role, ROLES } from './members.ts';

export const API_KEY_MAX_LIFETIME_DAYS = 366;

export const apiKeyName = z.string().trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.');

export const CreateApiKeyRequest = z
  .strictObject({
    name: apiKeyName,
    role: Role,
    expiresAt: z.iso
      .datetime({ offset: true, error: 'Use an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z.' })
      .nullable()
      .default(null)
      .meta({
        description: `When the key stops working (at most ${API_KEY_MAX_LIFETIME_DAYS} days ahead); null: never.`,
      }),
  })
  .meta({ id: 'CreateApiKeyRequest' });
/** What a client sends (expiresAt may be left out). */
export type CreateApiKeyRequest = z.input<typeof CreateApiKeyRequest>;

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The visible start of the key: atr_<prefix>_…' }),
    role: Role,
    createdBy: z.string().nullable().meta({ description: "The creator's email." }),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().meta({ description: 'Updated at most once a minute.' }),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const ApiKeyList = z.object({ items: z.array(ApiKey) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const CreatedApiKey = z
  .object({ apiKey: ApiKey, key: z.string().meta({ description: 'The key itself; shown this once only.' }) })
  .meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyPath = TenantPath.extend({ keyId: z.uuid('Must be an API key id (UUID).') });

/** The portal's create form: a lifetime to choose instead of a date. */
export const API_KEY_LIFETIMES = ['30', '90', '365', 'never'] as const;
export const ApiKeyForm = z.object({
  name: apiKeyName,
  role: z.enum(ROLES, 'Choose a role.'),
  lifetime: z.enum(API_KEY_LIFETIMES, 'Choose how long the key works.'),
});
export type ApiKeyForm = z.infer<typeof ApiKeyForm>;

/** The API body for what the form asked, relative to `now`. */
export function apiKeyBodyFromForm(form: ApiKeyForm, now: Date): CreateApiKeyRequest {
  return {
    name: form.name,
    role: form.role,
    expiresAt:
      form.lifetime === 'never' ? null : new Date(now.getTime() + Number(form.lifetime) * 86_400_000).toISOString(),
  };
}
