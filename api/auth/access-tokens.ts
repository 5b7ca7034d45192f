// Short-lived access tokens: JWTs signed with Ed25519. Verification follows RFC 8725:
// one fixed algorithm (no `none`, no algorithm taken from the token), and issuer,
// audience and expiry always checked. The keys (next, current, retiring: docs/decisions/0030)
// are published as a JWKS; a token names its key by `kid`, and only a held key verifies it.
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, errors, exportJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { SigningKeyState } from '../../integrations/secrets/signing-keyring.ts';

const ALGORITHM = 'EdDSA';
/** Seconds of clock skew accepted on `exp` and `iat`. */
export const CLOCK_TOLERANCE_S = 5;
/** Verified tokens remembered, so a client's next requests skip the signature check. */
const VERIFIED_CACHE_SIZE = 10_000;

export interface AccessTokenSettings {
  /** PKCS#8 PEM of an Ed25519 private key: a keyring of that one key (tests, tools). */
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
  /** Every published key: next, current and retiring (docs/decisions/0030). */
  jwks(): { keys: JWK[] };
  ttlMs: number;
}

/** Access tokens whose keys change while the process runs (api/signing-keys.ts loads them). */
export interface RotatingAccessTokens extends AccessTokens {
  /** Replaces the keys: signing uses the `current` one, verification accepts every one given. */
  load(keys: ReadonlyArray<{ privateKeyPem: string; state: SigningKeyState }>): Promise<void>;
  /** The kids held now, and the one signing. */
  loaded(): { kids: string[]; signingKid: string };
}

export class InvalidAccessTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidAccessTokenError';
  }
}

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  published: JWK;
}

async function loadKey(privateKeyPem: string): Promise<LoadedKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new Error('The access-token signing key is not a PEM private key', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `The access-token signing key must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicKey, published: { ...publicJwk, kid, alg: ALGORITHM, use: 'sig' } };
}

/** Access tokens signed and verified with one fixed key. */
export async function createAccessTokens(settings: AccessTokenSettings): Promise<AccessTokens> {
  return createRotatingAccessTokens(settings, [{ privateKeyPem: settings.privateKeyPem, state: 'current' }]);
}

export async function createRotatingAccessTokens(
  settings: Omit<AccessTokenSettings, 'privateKeyPem'>,
  initialKeys: ReadonlyArray<{ privateKeyPem: string; state: SigningKeyState }>,
): Promise<RotatingAccessTokens> {
  let keys = new Map<string, LoadedKey>();
  let byPem = new Map<string, LoadedKey>();
  let signing: LoadedKey | null = null;
  // A token is immutable, so a token that verified once verifies again until it expires, as
  // long as its key is still held: checking its Ed25519 signature on every request was a third
  // of a tenant read's CPU (issue 12). Only verified tokens are kept, by their exact text, with
  // their expiry and their key checked on every use; what a token grants (membership, role,
  // suspension) is still read from the database per request.
  const verified = new Map<string, { claims: AccessTokenClaims; expiresAtMs: number; kid: string }>();

  const load: RotatingAccessTokens['load'] = async (given) => {
    const next = new Map<string, LoadedKey>();
    const nextByPem = new Map<string, LoadedKey>();
    let current: LoadedKey | null = null;
    for (const entry of given) {
      // Keys held already are kept as they are (a reload every few seconds parses nothing new).
      const key = byPem.get(entry.privateKeyPem) ?? (await loadKey(entry.privateKeyPem));
      nextByPem.set(entry.privateKeyPem, key);
      next.set(key.kid, key);
      if (entry.state === 'current') current = key;
    }
    if (!current) throw new Error('The signing keyring has no current key');
    keys = next;
    byPem = nextByPem;
    signing = current;
  };
  await load(initialKeys);

  return {
    ttlMs: settings.ttlMs,
    load,
    loaded: () => ({ kids: [...keys.keys()].sort(), signingKid: signing!.kid }),
    sign: ({ userId, platformAdmin, ssoTenantId }) => {
      const key = signing!;
      return new SignJWT(ssoTenantId ? { pa: platformAdmin, sso: ssoTenantId } : { pa: platformAdmin })
        .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(new Date(Date.now() + settings.ttlMs))
        .sign(key.privateKey);
    },
    async verify(token) {
      const known = verified.get(token);
      if (known && Date.now() < known.expiresAtMs && keys.has(known.kid)) {
        // Re-inserted, so the Map's order is least recently used first.
        verified.delete(token);
        verified.set(token, known);
        return known.claims;
      }
      verified.delete(token);
      try {
        // A token names its key; one that names none, or one no longer held, is checked against
        // the current key, so it is refused for what is wrong with it (signature, expiry, …).
        const kid = headerKid(token);
        const key = (typeof kid === 'string' ? keys.get(kid) : undefined) ?? signing!;
        const { payload } = await jwtVerify(token, key.publicKey, {
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
        verified.set(token, { claims, expiresAtMs: (payload.exp! + CLOCK_TOLERANCE_S) * 1000, kid: key.kid });
        return claims;
      } catch (error) {
        if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(describe(error));
        throw error;
      }
    },
    jwks: () => ({ keys: [...keys.values()].map((key) => key.published) }),
  };
}

/** The token's `kid` header; a token that is not a compact JWS at all is refused as malformed. */
function headerKid(token: string): unknown {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    throw new InvalidAccessTokenError('the token is malformed');
  }
}

function describe(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with EdDSA';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  return 'the token is malformed';
}
