// Tokens for a Temporal cluster that checks JWTs, issued to operators. The Temporal server's
// default authorizer reads them through its default JWT claim mapper: the `permissions`
// claim lists `<namespace>:<read|write|admin>`, the signature is checked with a key from the
// JWKS its `jwtKeyProvider` fetches (`keySourceURIs`), found by `kid`. That key provider takes
// RSA and ECDSA keys, not Ed25519: so these tokens have an ES256 (P-256) key of their own,
// separate from the access tokens' Ed25519 key, published at /ops/temporal-jwks.json.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import type { OperatorRole, TemporalOperatorJwks } from '../../contracts/operators.ts';
import { TEMPORAL_PERMISSION_OF_ROLE } from '../../contracts/operators.ts';

const ALGORITHM = 'ES256';

export interface TemporalTokenSettings {
  /** PKCS#8 PEM of a P-256 private key; absent: a key made at boot, in memory only. */
  privateKeyPem: string | undefined;
  issuer: string;
  /** The `aud` claim (the server's `authorization.audience`, when it checks one). */
  audience: string;
  ttlMs: number;
}

export interface IssuedTemporalToken {
  token: string;
  expiresAt: Date;
  permissions: string[];
}

export interface TemporalTokens {
  /** `generated`: no key was configured, so tokens stop verifying when this process ends. */
  readonly keySource: 'configured' | 'generated';
  issue(
    subject: { userId: string; email: string; role: OperatorRole },
    namespace: string,
  ): Promise<IssuedTemporalToken>;
  jwks(): TemporalOperatorJwks;
}

export async function createTemporalTokens(settings: TemporalTokenSettings): Promise<TemporalTokens> {
  let privateKey: KeyObject;
  if (settings.privateKeyPem) {
    try {
      privateKey = createPrivateKey(settings.privateKeyPem);
    } catch (error) {
      throw new Error('TEMPORAL_OPERATOR_TOKEN_KEY is not a PEM private key', { cause: error });
    }
    const curve = privateKey.asymmetricKeyDetails?.namedCurve;
    if (privateKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1')
      throw new Error(
        `TEMPORAL_OPERATOR_TOKEN_KEY must be a P-256 (prime256v1) EC key for ES256, not ${privateKey.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''}`,
      );
  } else {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  }
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(publicJwk);
  const published = { ...publicJwk, kid, alg: ALGORITHM, use: 'sig' } as TemporalOperatorJwks['keys'][number];

  return {
    keySource: settings.privateKeyPem ? 'configured' : 'generated',
    async issue({ userId, email, role }, namespace) {
      const permissions = [`${namespace}:${TEMPORAL_PERMISSION_OF_ROLE[role]}`];
      const expiresAt = new Date(Date.now() + settings.ttlMs);
      const token = await new SignJWT({ permissions, email })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return { token, expiresAt, permissions };
    },
    jwks: () => ({ keys: [published] }),
  };
}
