// Signs tenant licenses: JWTs (EdDSA, Ed25519) saying which tier, features and limits a
// tenant's plan gives it. The private key comes from LICENSE_SIGNING_KEY_FILE (read once
// by the worker); the public key is stored next to every license (license_signing_keys)
// and served by the API as a JWKS, so anyone can verify a license offline.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { LICENSE_JWT_TYPE } from '../../contracts/license.ts';

export const LICENSE_ALGORITHM = 'EdDSA';
export const LICENSE_ISSUER = 'atrium';
export const LICENSE_AUDIENCE = 'atrium-license';
export const LICENSE_TYPE = LICENSE_JWT_TYPE;

export interface LicenseClaims {
  licenseId: string;
  tenantId: string;
  slug: string;
  tier: string;
  features: readonly string[];
  limits: Record<string, number | null>;
}

export interface LicenseSigner {
  /** The public key's RFC 7638 thumbprint, also the JWT's `kid`. */
  keyId: string;
  /** The public key as a JWK, with `kid`, `alg` and `use`. */
  publicJwk: JWK;
  sign(claims: LicenseClaims, issuedAt: Date): Promise<string>;
  /**
   * Signs any JSON document as a compact JWS with the same key (`typ` names what it is): the
   * metering reconciliation records (docs/decisions/0027), verified against the same JWKS.
   */
  signDocument(document: unknown, typ: string): Promise<string>;
}

/** `pem` is a PKCS#8 Ed25519 private key; `source` names where it came from in errors. */
export async function createLicenseSigner(pem: string, source: string): Promise<LicenseSigner> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new Error(`${source} does not hold a PEM private key`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`${source} must hold an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  const jwk = await exportJWK(createPublicKey(privateKey));
  const keyId = await calculateJwkThumbprint(jwk);
  return {
    keyId,
    publicJwk: { ...jwk, kid: keyId, alg: LICENSE_ALGORITHM, use: 'sig' },
    sign: (claims, issuedAt) =>
      new SignJWT({
        tenant: claims.slug,
        tier: claims.tier,
        features: [...claims.features],
        limits: claims.limits,
      })
        .setProtectedHeader({ alg: LICENSE_ALGORITHM, kid: keyId, typ: LICENSE_TYPE })
        .setIssuer(LICENSE_ISSUER)
        .setAudience(LICENSE_AUDIENCE)
        .setSubject(claims.tenantId)
        .setJti(claims.licenseId)
        .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
        .sign(privateKey),
    signDocument: (document, typ) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(document)))
        .setProtectedHeader({ alg: LICENSE_ALGORITHM, kid: keyId, typ })
        .sign(privateKey),
  };
}

/**
 * Reads the key file, creating it (a new Ed25519 key, mode 0600) when it does not exist,
 * like the local secret store's key. Two workers starting at once agree on one file.
 */
export function loadOrCreateLicenseKey(file: string): { pem: string; created: boolean } {
  let created = false;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return { pem: readFileSync(file, 'utf8'), created };
}
