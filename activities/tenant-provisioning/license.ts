// Signs tenant licenses: JWTs (EdDSA, Ed25519) saying which tier, features and limits a
// tenant's plan gives it. The private key is the `current` key of the deployment's license
// keyring in the secret store (docs/decisions/0038; seeded once from LICENSE_SIGNING_KEY_FILE
// when that file exists), reread before every signing so a rotation's switch reaches every
// worker at once; every public key is stored in license_signing_keys and served by the API as
// a JWKS, so anyone can verify a license offline, whichever key of the past signed it.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, exportJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { LICENSE_JWT_TYPE } from '../../contracts/license.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import type { SigningKeyring } from '../../integrations/secrets/signing-keyring.ts';
import { ensureSigningKeyring, readSigningKeyring } from '../../integrations/secrets/signing-keyring.ts';

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
  /**
   * The signer to use now: the keyring's current key, read from the secret store (a fixed key
   * answers itself). Take it once per signing and use its keyId, publicJwk and sign together.
   */
  current(): Promise<LicenseSigner>;
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
  const signer: LicenseSigner = {
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
    current: () => Promise.resolve(signer),
  };
  return signer;
}

/** The public JWK (with kid, alg and use) of a PEM private key, as the license JWKS lists it. */
export async function licensePublicJwk(pem: string): Promise<JWK> {
  return (await createLicenseSigner(pem, 'the license key')).publicJwk;
}

/**
 * A signer over the deployment's license keyring (docs/decisions/0038): seeds it when there is
 * none (from `seedPem`, the old LICENSE_SIGNING_KEY_FILE, so existing licenses keep their key,
 * or a new key), and rereads it on every `current()`. keyId and publicJwk are the key read last.
 */
export async function createKeyringLicenseSigner(
  store: SecretStore,
  path: string,
  seedPem: string | undefined,
): Promise<LicenseSigner> {
  const signers = new Map<string, LicenseSigner>();
  const signerOf = async (keyring: SigningKeyring): Promise<LicenseSigner> => {
    const key = keyring.keys.find((entry) => entry.state === 'current')!;
    let found = signers.get(key.kid);
    if (!found) {
      found = await createLicenseSigner(key.privateKeyPem, `the license keyring (${path})`);
      signers.set(key.kid, found);
    }
    return found;
  };
  let last = await signerOf(await ensureSigningKeyring(store, path, seedPem));
  const current = async (): Promise<LicenseSigner> => {
    const keyring = await readSigningKeyring(store, path);
    if (!keyring) throw new Error(`The license keyring ${path} is gone from the secret store`);
    last = await signerOf(keyring);
    return last;
  };
  return {
    get keyId() {
      return last.keyId;
    },
    get publicJwk() {
      return last.publicJwk;
    },
    sign: async (claims, issuedAt) => (await current()).sign(claims, issuedAt),
    signDocument: async (document, typ) => (await current()).signDocument(document, typ),
    current,
  };
}

/** The old key file's PEM when it exists (it seeds the keyring once), else undefined. */
export function readLicenseKeyFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
