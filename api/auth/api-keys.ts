// API keys: `atr_<prefix>_<secret>` (the format: integrations/api-keys/format.ts). Checking a
// presented key: its prefix finds the stored hash, then expiry and revocation.
import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { findApiKeyByPrefix, touchApiKey } from '../../db/repositories/api-keys.ts';
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
