// Signing in with email and password, refreshing and ending a session, and who is signed in.
import { z } from 'zod';
import { emailField } from './common.ts';
import { OperatorRole } from './operators.ts';

export const LoginRequest = z
  .strictObject({
    email: emailField,
    password: z.string().min(1, 'Enter your password.').max(1024),
  })
  .meta({ id: 'LoginRequest' });
export type LoginRequest = z.infer<typeof LoginRequest>;

/** POST /auth/refresh and /auth/logout. */
export const RefreshRequest = z
  .strictObject({ refreshToken: z.string().min(1).max(200) })
  .meta({ id: 'RefreshRequest' });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

/** The signed-in user, as the auth routes return it. */
export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    isPlatformAdmin: z.boolean(),
    operatorRole: OperatorRole.nullable().meta({
      description: 'Access to the Temporal UI at /ops/temporal/: read, write, or none (null).',
    }),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

/** POST /auth/login, /auth/refresh, and every other answer that signs someone in. */
export const Session = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires.' }),
    refreshToken: z.string(),
    refreshTokenExpiresAt: z.string(),
    user: User,
  })
  .meta({ id: 'Session' });
export type Session = z.infer<typeof Session>;

/** An Ed25519 public key in a JSON Web Key Set. */
export const Ed25519Jwk = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string(),
  kid: z.string(),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
});
export type Ed25519Jwk = z.infer<typeof Ed25519Jwk>;

/** /.well-known/jwks.json: the keys access tokens are signed with. */
export const AccessTokenJwks = z.object({ keys: z.array(Ed25519Jwk) });
export type AccessTokenJwks = z.infer<typeof AccessTokenJwks>;
