// Access tokens (api/auth/access-tokens.ts): a token that verified once is remembered until it
// expires, so later requests skip the signature check; nothing else is remembered. With a
// keyring (docs/decisions/0030): signing by the current key, verifying by any held key's kid.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, it, mock } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  createAccessTokens,
  createRotatingAccessTokens,
  InvalidAccessTokenError,
} from '../../api/auth/access-tokens.ts';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const settings = { issuer: 'atrium-test', audience: 'atrium-api', ttlMs: 60_000 };

describe('access tokens', () => {
  afterEach(() => mock.timers.reset());

  it('verifies a token again and again, with the same claims', async () => {
    const tokens = await createAccessTokens({ ...settings, privateKeyPem: pem() });
    const token = await tokens.sign({ userId: 'u-1', platformAdmin: true, ssoTenantId: 't-1' });
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await tokens.verify(token), { userId: 'u-1', platformAdmin: true, ssoTenantId: 't-1' });
  });

  it('refuses a remembered token once it has expired', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const tokens = await createAccessTokens({ ...settings, privateKeyPem: pem() });
    const token = await tokens.sign({ userId: 'u-1', platformAdmin: false });
    await tokens.verify(token);
    mock.timers.tick(60_000 + 6_000); // past the expiry and the 5 s of accepted skew
    await assert.rejects(tokens.verify(token), (error: Error) => {
      assert.ok(error instanceof InvalidAccessTokenError);
      assert.equal(error.message, 'the token has expired');
      return true;
    });
  });

  it('never takes a changed or foreign token for a remembered one', async () => {
    const tokens = await createAccessTokens({ ...settings, privateKeyPem: pem() });
    const other = await createAccessTokens({ ...settings, privateKeyPem: pem() });
    const token = await tokens.sign({ userId: 'u-1', platformAdmin: false });
    await tokens.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, pa: true })).toString('base64url')}.${signature}`;
    await assert.rejects(tokens.verify(forged), InvalidAccessTokenError);
    await assert.rejects(
      tokens.verify(await other.sign({ userId: 'u-1', platformAdmin: true })),
      InvalidAccessTokenError,
    );
  });

  it('signs with the current key, verifies any held key by kid, and forgets a removed key', async () => {
    const [oldPem, newPem] = [pem(), pem()];
    const tokens = await createRotatingAccessTokens(settings, [{ privateKeyPem: oldPem, state: 'current' }]);
    const oldKid = tokens.loaded().signingKid;
    const oldToken = await tokens.sign({ userId: 'u-1', platformAdmin: false });
    await tokens.verify(oldToken);

    // Published as next: verifying, not signing.
    await tokens.load([
      { privateKeyPem: oldPem, state: 'current' },
      { privateKeyPem: newPem, state: 'next' },
    ]);
    const newKid = tokens.loaded().kids.find((kid) => kid !== oldKid)!;
    assert.equal(tokens.jwks().keys.length, 2);
    assert.equal(decodeProtectedHeader(await tokens.sign({ userId: 'u-1', platformAdmin: false })).kid, oldKid);
    const elsewhere = await createRotatingAccessTokens(settings, [{ privateKeyPem: newPem, state: 'current' }]);
    const newToken = await elsewhere.sign({ userId: 'u-2', platformAdmin: false });
    assert.equal((await tokens.verify(newToken)).userId, 'u-2', "a token of another process's new key verifies");

    // Switched: the new key signs, the old one still verifies.
    await tokens.load([
      { privateKeyPem: oldPem, state: 'retiring' },
      { privateKeyPem: newPem, state: 'current' },
    ]);
    assert.equal(decodeProtectedHeader(await tokens.sign({ userId: 'u-1', platformAdmin: false })).kid, newKid);
    assert.equal((await tokens.verify(oldToken)).userId, 'u-1');

    // Removed: its tokens are refused, remembered or not.
    await tokens.load([{ privateKeyPem: newPem, state: 'current' }]);
    assert.deepEqual(
      tokens.jwks().keys.map((key) => key.kid),
      [newKid],
    );
    await assert.rejects(tokens.verify(oldToken), (error: Error) => {
      assert.ok(error instanceof InvalidAccessTokenError);
      assert.equal(error.message, 'the token signature is not valid');
      return true;
    });
    await assert.rejects(tokens.verify('not-a-token'), InvalidAccessTokenError);
    await assert.rejects(tokens.load([{ privateKeyPem: newPem, state: 'next' }]), /no current key/);
  });
});
