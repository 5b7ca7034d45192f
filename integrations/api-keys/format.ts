// The format of Atrium API keys, `atr_<prefix>_<secret>`, shared by the API (which issues and
// checks them) and the secret-rotation activities (which issue a key's successor). The prefix
// (12 hex characters) is public: it is shown in lists and finds the key; the secret is 256
// random bits, shown once. Only a SHA-256 of the whole key is stored: a key this random cannot
// be guessed from its hash, so a slow password hash would add cost on every request and no safety.
import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PATTERN = /^atr_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

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
