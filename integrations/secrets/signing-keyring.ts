// The signing keyrings (docs/decisions/0030 for access tokens, 0038 for licenses): one platform
// secret per purpose in the secret store, `platform/<deployment>/signing-keys/<purpose>` (the deployment is its
// TEMPORAL_TASK_QUEUE prefix, so deployments sharing a Vault keep their own keys), whose every
// write is a new store version. Its
// one field, `keyring`, is JSON: the Ed25519 keys every API process verifies with, each in a
// state:
//
// - `next`: published (JWKS, verification) but not signing yet: every process must hold it
//   before any process signs with it;
// - `current`: the one key processes sign with;
// - `retiring`: no longer signing, still published and verifying until every token it signed
//   has expired, then removed.
//
// The API reads it (api/signing-keys.ts) and the rotation's activities rewrite it
// (activities/secret-rotation/signing-keys.ts), always with check-and-set on the store version,
// so two writers never overwrite each other. Private keys only ever travel between the store,
// the activities and the API processes: never in a workflow's input, result or history.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { SecretStore } from './port.ts';
import { checkSecretPath, SecretStoreError } from './port.ts';

/**
 * What a keyring's keys sign (docs/decisions/0038): access tokens (verified by every API process,
 * published at /.well-known/jwks.json) or tenant licenses and metering records (signed by the
 * worker, published at /api/v1/license/jwks). One format and one rotation for both.
 */
export const SIGNING_KEY_PURPOSES = ['access-tokens', 'licenses'] as const;
export type SigningKeyPurpose = (typeof SIGNING_KEY_PURPOSES)[number];

/** Where a deployment's keyring lives; `deployment` is its TEMPORAL_TASK_QUEUE prefix. */
export function signingKeyringPath(deployment: string, purpose: SigningKeyPurpose = 'access-tokens'): string {
  return checkSecretPath(`platform/${deployment}/signing-keys/${purpose}`);
}

export type SigningKeyState = 'next' | 'current' | 'retiring';

export interface SigningKeyEntry {
  /** The RFC 7638 thumbprint of the public key: the tokens' `kid`. */
  kid: string;
  /** PKCS#8 PEM of the Ed25519 private key. */
  privateKeyPem: string;
  state: SigningKeyState;
  createdAt: string;
  /** Retiring keys: when the last token it may have signed has expired (the key may go then). */
  notAfter: string | null;
  /** The rotation that added it (null: seeded from JWT_PRIVATE_KEY or generated at first boot). */
  rotationId: string | null;
}

export interface SigningKeyring {
  /** The secret store version this keyring was read at (0: not stored yet). */
  version: number;
  keys: SigningKeyEntry[];
}

/** The keyring as it is stored, or null when there is none yet. */
export async function readSigningKeyring(store: SecretStore, path: string): Promise<SigningKeyring | null> {
  const stored = await store.read(path);
  if (!stored) return null;
  return { version: stored.version, keys: parseKeys(stored.data.keyring) };
}

/**
 * Writes `keys` as the next version, only if the stored one is still `expectedVersion`
 * (0: only if there is none). A concurrent writer makes it throw SecretStoreError 'conflict'.
 */
export async function writeSigningKeyring(
  store: SecretStore,
  path: string,
  expectedVersion: number,
  keys: SigningKeyEntry[],
): Promise<SigningKeyring> {
  const current = keys.filter((key) => key.state === 'current');
  if (current.length !== 1) throw new Error(`A signing keyring needs exactly one current key, not ${current.length}.`);
  const { version } = await store.write(path, { keyring: JSON.stringify(keys) }, { cas: expectedVersion });
  return { version, keys };
}

/**
 * The stored keyring, made first when there is none: from `seedPem` (JWT_PRIVATE_KEY, so a
 * deployment that had a key keeps it and its tokens stay valid) or a new key. Any number of
 * processes may call this at once: one write wins, the others read what it wrote.
 */
export async function ensureSigningKeyring(
  store: SecretStore,
  path: string,
  seedPem: string | undefined,
): Promise<SigningKeyring> {
  const existing = await readSigningKeyring(store, path);
  if (existing) return existing;
  const entry = seedPem
    ? await signingKeyEntry(seedPem, 'current', null)
    : await signingKeyEntry(generateSigningKeyPem(), 'current', null);
  try {
    return await writeSigningKeyring(store, path, 0, [entry]);
  } catch (error) {
    if (!(error instanceof SecretStoreError) || error.reason !== 'conflict') throw error;
    const written = await readSigningKeyring(store, path);
    if (!written) throw error;
    return written;
  }
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** An entry for a PEM key; refuses anything but an Ed25519 private key. */
export async function signingKeyEntry(
  privateKeyPem: string,
  state: SigningKeyState,
  rotationId: string | null,
): Promise<SigningKeyEntry> {
  return {
    kid: await signingKeyId(privateKeyPem),
    privateKeyPem,
    state,
    createdAt: new Date().toISOString(),
    notAfter: null,
    rotationId,
  };
}

/** The `kid` of a PEM private key (its public JWK's thumbprint). */
export async function signingKeyId(privateKeyPem: string): Promise<string> {
  let privateKey;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new Error('The signing key is not a PEM private key', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`The signing key must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  return calculateJwkThumbprint(await exportJWK(createPublicKey(privateKey)));
}

/** A new rotation's id (its keys carry it, so a retried activity finds what it wrote). */
export function newRotationId(): string {
  return randomUUID();
}

function parseKeys(text: string | undefined): SigningKeyEntry[] {
  const parsed: unknown = JSON.parse(text ?? '[]');
  if (!Array.isArray(parsed)) throw new Error('The stored signing keyring is not a list of keys');
  return parsed.map((item: Record<string, unknown>) => {
    const state = item.state;
    if (
      typeof item.kid !== 'string' ||
      typeof item.privateKeyPem !== 'string' ||
      (state !== 'next' && state !== 'current' && state !== 'retiring')
    )
      throw new Error('The stored signing keyring has a malformed key');
    return {
      kid: item.kid,
      privateKeyPem: item.privateKeyPem,
      state,
      createdAt: typeof item.createdAt === 'string' ? item.createdAt : new Date(0).toISOString(),
      notAfter: typeof item.notAfter === 'string' ? item.notAfter : null,
      rotationId: typeof item.rotationId === 'string' ? item.rotationId : null,
    };
  });
}
