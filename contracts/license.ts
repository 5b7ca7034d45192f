// The public keys tenant licenses are signed with (GET /api/v1/license/jwks).
import { z } from 'zod';
import { Ed25519Jwk } from './auth.ts';

export const LicenseJwk = Ed25519Jwk.meta({ id: 'LicenseJwk' });
export type LicenseJwk = z.infer<typeof LicenseJwk>;

export const LicenseJwks = z.object({ keys: z.array(LicenseJwk) });
export type LicenseJwks = z.infer<typeof LicenseJwks>;
