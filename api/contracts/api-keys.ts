// The API key contract shared by the API (request validation) and the portal (the same
// schema checks the create form in the browser and in the portal's action). zod only.
import { z } from 'zod';
import { ROLES } from '../../db/repositories/memberships.ts';

export const API_KEY_MAX_LIFETIME_DAYS = 366;

export const apiKeyName = z.string().trim().min(1, 'Enter a name.').max(100, 'Use at most 100 characters.');

export const CreateApiKeyBody = z
  .strictObject({
    name: apiKeyName,
    role: z.enum(ROLES),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'Use an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z.' })
      .nullable()
      .default(null)
      .meta({
        description: `When the key stops working (at most ${API_KEY_MAX_LIFETIME_DAYS} days ahead); null: never.`,
      }),
  })
  .meta({ id: 'CreateApiKeyRequest' });

/** The portal's create form: a lifetime to choose instead of a date. */
export const API_KEY_LIFETIMES = ['30', '90', '365', 'never'] as const;
export const ApiKeyForm = z.object({
  name: apiKeyName,
  role: z.enum(ROLES, 'Choose a role.'),
  lifetime: z.enum(API_KEY_LIFETIMES, 'Choose how long the key works.'),
});
export type ApiKeyFormValues = z.infer<typeof ApiKeyForm>;

/** The API body for what the form asked, relative to `now`. */
export function apiKeyBodyFromForm(form: ApiKeyFormValues, now: Date): z.input<typeof CreateApiKeyBody> {
  return {
    name: form.name,
    role: form.role,
    expiresAt:
      form.lifetime === 'never' ? null : new Date(now.getTime() + Number(form.lifetime) * 86_400_000).toISOString(),
  };
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: (typeof ROLES)[number];
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
