// API keys: `atr_<prefix>_<secret>` (the format: integrations/api-keys/format.ts). Checking a
// presented key: its prefix finds the stored credentials (api/auth/require-auth.ts, or the tenant
// check's own statement), then the hash, revocation and expiry decide.
import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ApiKeyCredentials } from '../../db/repositories/api-keys.ts';
import { touchApiKey } from '../../db/repositories/api-keys.ts';
import type { Role } from '../../contracts/members.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { API_KEY_PATTERN as KEY_PATTERN, hashApiKey } from '../../integrations/api-keys/format.ts';

export type { NewApiKey } from '../../integrations/api-keys/format.ts';
export { generateApiKey, hashApiKey } from '../../integrations/api-keys/format.ts';

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

/** A key as presented, before it is looked up: the prefix that finds it and the hash to compare. */
export interface PresentedApiKey {
  prefix: string;
  hash: Buffer;
}

/** Reads a presented key's prefix and hash, or refuses what is not an Atrium API key at all. */
export function presentApiKey(key: string): PresentedApiKey {
  const match = KEY_PATTERN.exec(key);
  if (!match) throw new InvalidApiKeyError('it is not an Atrium API key');
  return { prefix: match[1] as string, hash: hashApiKey(key) };
}

/** The key's identity when the stored credentials accept it (hash, revocation, expiry). */
export function acceptApiKey(presented: PresentedApiKey, stored: ApiKeyCredentials | null): ApiKeyIdentity {
  if (!stored || !timingSafeEqual(stored.secret_hash, presented.hash)) throw new InvalidApiKeyError('no such API key');
  if (stored.revoked_at) throw new InvalidApiKeyError('the API key was revoked');
  if (stored.expires_at && stored.expires_at.getTime() <= Date.now())
    throw new InvalidApiKeyError('the API key has expired');
  return { id: stored.id, tenantId: stored.tenant_id, role: stored.role };
}

/** Records that an accepted key was used; writes at most once a minute per key. */
export async function recordApiKeyUse(dataSource: DataSource, stored: ApiKeyCredentials): Promise<void> {
  if (!stored.used_recently) await withPlatformScope(dataSource, (db) => touchApiKey(db, stored.id));
}
