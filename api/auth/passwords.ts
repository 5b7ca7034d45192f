import { hash, verify } from '@node-rs/argon2';

// Verifying against a real argon2id hash when the account does not exist keeps the
// response time the same, so timing does not tell which emails have accounts.
const unknownAccountHash = hash('atrium-no-such-account');

export async function passwordMatches(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    await verify(await unknownAccountHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
