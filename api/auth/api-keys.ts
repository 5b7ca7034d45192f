// API keys: `atr_<prefix>_<secret>`. The prefix (12 hex characters) is public: it is shown
// in lists and finds the key; the secret is 256 random bits, shown once at creation. Only a
// SHA-256 of the whole key is stored: a key this random cannot be guessed from its hash, so
// a slow password hash would add cost on every request and no safety.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { findApiKeyByPrefix, touchApiKey } from '../../db/repositories/api-keys.ts';
import type { Role } from '../../contracts/members.ts';
import { withPlatformScope } from '../../db/scope.ts';

const KEY_PATTERN = /^atr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  key: string;
  prefix: string;
  secretHash: Buffer;
}

export function generateApiKey(): NewApiKey {
  const prefix = randomBytes(6).toString('hex');
  const key = `atr_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, secretHash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('atr_');
}

export interface ApiKeyIdentity {
  id: string;
  tenantId: string;
  role: Role;
}

/** Why a presented key was refused, in words for the 401 problem. */
export class InvalidApiKeyError extends Error {}

/** Checks the key against its stored hash, expiry and revocation, and records its use. */
export async function verifyApiKey(dataSource: DataSource, key: string): Promise<ApiKeyIdentity> {
  const match = KEY_PATTERN.exec(key);
  if (!match) throw new InvalidApiKeyError('it is not an Atrium API key');
  // One statement on every request; the write recording use happens at most once a minute.
  const stored = await findApiKeyByPrefix(dataSource, match[1] as string);
  if (!stored || !timingSafeEqual(stored.secret_hash, hashApiKey(key))) throw new InvalidApiKeyError('no such API key');
  if (stored.revoked_at) throw new InvalidApiKeyError('the API key was revoked');
  if (stored.expires_at && stored.expires_at.getTime() <= Date.now())
    throw new InvalidApiKeyError('the API key has expired');
  if (!stored.used_recently) await withPlatformScope(dataSource, (db) => touchApiKey(db, stored.id));
  return { id: stored.id, tenantId: stored.tenant_id, role: stored.role };
}
