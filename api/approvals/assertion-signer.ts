// Signs approval assertions (docs/decisions/0007-approval-assertions.md). Each API process
// makes its own Ed25519 key pair in memory at boot and again every APPROVAL_KEY_LIFETIME;
// the private key never leaves this process (not on disk, not in the database, not in
// Temporal). The public key is published in approval_signing_keys with the last moment it
// signs (`not_after`), where the workflows' verifier reads it through an activity.
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { publishApprovalSigningKey } from '../../db/repositories/approvals.ts';
import { withPlatformScope } from '../../db/scope.ts';
import type { AssertionClaims } from '../../workflows/approvals/assertion.ts';
import { ascii, ASSERTION_CONTEXT, asciiJson, base64UrlEncode } from '../../workflows/approvals/assertion.ts';

export interface ApprovalSigner {
  /** Signs `claims` (without kid, iat, exp) valid for the configured assertion lifetime. */
  sign(claims: Omit<AssertionClaims, 'v' | 'kid' | 'iat' | 'exp'>): Promise<string>;
  /** The key in use now (tests, logs). */
  currentKeyId(): string;
}

export interface PublishedKey {
  kid: string;
  /** Raw Ed25519 public key, base64url. */
  publicKey: string;
  notAfter: Date;
}

/** Publishes a public key where the workflows read them (approval_signing_keys). */
export function publishToDatabase(dataSource: DataSource): (key: PublishedKey) => Promise<void> {
  return (key) => withPlatformScope(dataSource, (db) => publishApprovalSigningKey(db, key));
}

export interface ApprovalSignerOptions {
  publish: (key: PublishedKey) => Promise<void>;
  /** How long one key signs before the process makes the next one. */
  keyLifetimeMs: number;
  /** How long an assertion stays valid: long enough for one Update round trip. */
  assertionTtlMs: number;
  now?: () => number;
}

interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
  notAfter: number;
}

/** The raw 32-byte public key of an Ed25519 KeyObject, base64url. */
function rawPublicKey(privateKey: KeyObject): string {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return jwk.x as string;
}

export async function createApprovalSigner(options: ApprovalSignerOptions): Promise<ApprovalSigner> {
  const now = options.now ?? Date.now;
  let active: ActiveKey | null = null;
  let pending: Promise<ActiveKey> | null = null;

  const rotate = async (): Promise<ActiveKey> => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const publicKey = rawPublicKey(privateKey);
    // The kid is the public key's own first bytes: unique, and says nothing secret.
    const kid = `ak-${publicKey.slice(0, 16)}`;
    const notAfter = now() + options.keyLifetimeMs;
    await options.publish({ kid, publicKey, notAfter: new Date(notAfter) });
    return { kid, privateKey, notAfter };
  };

  const current = async (): Promise<ActiveKey> => {
    // Rotate a little before the published end, so nothing is signed after it.
    if (active && now() + options.assertionTtlMs < active.notAfter) return active;
    pending ??= rotate().finally(() => {
      pending = null;
    });
    active = await pending;
    return active;
  };

  const first = await current();
  return {
    currentKeyId: () => active?.kid ?? first.kid,
    async sign(claims) {
      const key = await current();
      const issuedAt = now();
      const full: AssertionClaims = {
        v: 1,
        kid: key.kid,
        ...claims,
        iat: issuedAt,
        exp: issuedAt + options.assertionTtlMs,
      };
      const payload = base64UrlEncode(ascii(asciiJson(full)));
      const signature = sign(null, Buffer.from(ascii(ASSERTION_CONTEXT + payload)), key.privateKey);
      return `${payload}.${base64UrlEncode(new Uint8Array(signature))}`;
    },
  };
}
