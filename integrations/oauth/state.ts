// The OAuth `state` is kept only as this hash: the activity that draws it stores the hash, the
// callback route hashes what the provider sent back and looks it up. A database dump does not
// give anyone a usable state.
import { createHash } from 'node:crypto';

export function stateHash(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}
