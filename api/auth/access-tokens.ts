// Short-lived access tokens: JWTs signed with Ed25519. Verification follows RFC 8725:
// one fixed algorithm (no `none`, no algorithm taken from the token), and issuer,
// audience and expiry always checked. The public key is published as a JWKS.
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, errors, exportJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';

const ALGORITHM = 'EdDSA';
/** Seconds of clock skew accepted on `exp` and `iat`. */
const CLOCK_TOLERANCE_S = 5;
/** Verified tokens remembered, so a client's next requests skip the signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface AccessTokenSettings {
  /** PKCS#8 PEM of an Ed25519 private key. */
  privateKeyPem: string;
  issuer: string;
  audience: string;
  ttlMs: number;
}

export interface AccessTokenClaims {
  userId: string;
  platformAdmin: boolean;
  /** The tenant whose single sign-on this session came through (claim `sso`), if any. */
  ssoTenantId?: string | null;
}

export interface AccessTokens {
  sign(claims: AccessTokenClaims): Promise<string>;
  /** Resolves with the claims, or rejects with InvalidAccessTokenError. */
  verify(token: string): Promise<AccessTokenClaims>;
  jwks(): { keys: JWK[] };
  ttlMs: number;
}

export class InvalidAccessTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidAccessTokenError';
  }
}

export async function createAccessTokens(settings: AccessTokenSettings): Promise<AccessTokens> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(settings.privateKeyPem);
  } catch (error) {
    throw new Error('JWT_PRIVATE_KEY is not a PEM private key', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`JWT_PRIVATE_KEY must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const published: JWK = { ...publicJwk, kid, alg: ALGORITHM, use: 'sig' };
  // A token is immutable and this process's key never changes, so a token that verified once
  // verifies again until it expires: checking its Ed25519 signature on every request was a
  // third of a tenant read's CPU (issue 12). Only verified tokens are kept, by their exact
  // text, with their expiry checked on every use; what a token grants (membership, role,
  // suspension) is still read from the database per request.
  const verified = new Map<string, { claims: AccessTokenClaims; expiresAtMs: number }>();

  return {
    ttlMs: settings.ttlMs,
    sign: ({ userId, platformAdmin, ssoTenantId }) =>
      new SignJWT(ssoTenantId ? { pa: platformAdmin, sso: ssoTenantId } : { pa: platformAdmin })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'at+jwt' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(new Date(Date.now() + settings.ttlMs))
        .sign(privateKey),
    async verify(token) {
      const known = verified.get(token);
      if (known && Date.now() < known.expiresAtMs) {
        // Re-inserted, so the Map's order is least recently used first.
        verified.delete(token);
        verified.set(token, known);
        return known.claims;
      }
      verified.delete(token);
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [ALGORITHM],
          issuer: settings.issuer,
          audience: settings.audience,
          typ: 'at+jwt',
          requiredClaims: ['sub', 'exp', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        const claims: AccessTokenClaims = {
          userId: payload.sub as string,
          platformAdmin: payload.pa === true,
          ssoTenantId: typeof payload.sso === 'string' ? payload.sso : null,
        };
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, { claims, expiresAtMs: (payload.exp! + CLOCK_TOLERANCE_S) * 1000 });
        return claims;
      } catch (error) {
        if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(describe(error));
        throw error;
      }
    },
    jwks: () => ({ keys: [published] }),
  };
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with EdDSA';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  return 'the token is malformed';
}
