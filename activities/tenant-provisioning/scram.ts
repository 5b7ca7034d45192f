// A SCRAM-SHA-256 password verifier in PostgreSQL's format (RFC 5802/7677), computed here
// so that the password itself never reaches PostgreSQL, its statement log or
// pg_stat_activity: only the verifier does, and it cannot be turned back into the password.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;

export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16)): string {
  // Generated passwords are ASCII, so SASLprep leaves them unchanged.
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** True when `password` matches `verifier` (used by tests against pg_authid). */
export function scramVerifierMatches(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match || Number(match[1]) !== ITERATIONS) return false;
  return scramSha256Verifier(password, Buffer.from(match[2]!, 'base64')) === verifier;
}

/** A password for a generated login: 256 random bits, URL-safe ASCII. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}
