// The public keys tenant licenses are signed with (GET /api/v1/license/jwks).
import { z } from 'zod';
import { Ed25519Jwk } from './auth.ts';

/** Where the keys are served (public): licenses and reconciliation records name it beside their JWS. */
export const LICENSE_JWKS_PATH = '/api/v1/license/jwks';

/** The JWS `typ` of a tenant license (a JWT). */
export const LICENSE_JWT_TYPE = 'atrium-license+jwt';

export const LicenseJwk = Ed25519Jwk.meta({ id: 'LicenseJwk' });
export type LicenseJwk = z.infer<typeof LicenseJwk>;

export const LicenseJwks = z.object({ keys: z.array(LicenseJwk) });
export type LicenseJwks = z.infer<typeof LicenseJwks>;

/** GET /api/v1/tenants/:slug/license: the tenant's signed license, to download and verify. */
export const TenantLicenseDocument = z
  .object({
    licenseId: z.string(),
    tier: z.string(),
    keyId: z.string().meta({ description: 'The `kid` of the key that signed it.' }),
    issuedAt: z.string(),
    token: z.string().meta({
      description: 'The license: a JWT (typ atrium-license+jwt, alg EdDSA, iss atrium, aud atrium-license).',
    }),
    jwksUrl: z.string().meta({ description: 'Where the public key is: verify the token against it.' }),
  })
  .meta({ id: 'TenantLicenseDocument' });
export type TenantLicenseDocument = z.infer<typeof TenantLicenseDocument>;
