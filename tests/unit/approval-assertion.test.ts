// Approval assertions: the API's signer (api/approvals/assertion-signer.ts, Node crypto) and
// the workflow's verifier (workflows/approvals/assertion.ts, pure JavaScript for the sandbox)
// agree; anything forged, expired, for another workflow, request or action, or signed with
// an unknown or retired key is refused.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PublishedKey } from '../../api/approvals/assertion-signer.ts';
import { createApprovalSigner } from '../../api/approvals/assertion-signer.ts';
import type { ExpectedBinding, VerificationKey } from '../../workflows/approvals/assertion.ts';
import {
  ascii,
  ASSERTION_CONTEXT,
  asciiJson,
  base64UrlDecode,
  base64UrlEncode,
  readClaims,
  verifyAssertion,
} from '../../workflows/approvals/assertion.ts';

const claims = {
  wf: 'tenant-provision/acme',
  req: 'req-1',
  act: 'approve' as const,
  sub: 'user-1',
  platformAdmin: true,
  tenantRole: null,
  groups: ['release-managers'],
  rid: 'http-1',
};
const binding: ExpectedBinding = { workflowId: 'tenant-provision/acme', requestId: 'req-1', action: 'approve' };

async function signerAt(clock: { now: number }, ttl = 60_000, lifetime = 3_600_000) {
  const published: PublishedKey[] = [];
  const signer = await createApprovalSigner({
    publish: (key) => {
      published.push(key);
      return Promise.resolve();
    },
    keyLifetimeMs: lifetime,
    assertionTtlMs: ttl,
    now: () => clock.now,
  });
  const keys = (): VerificationKey[] =>
    published.map((key) => ({ kid: key.kid, publicKey: key.publicKey, notAfter: key.notAfter.getTime() }));
  return { signer, published, keys };
}

describe('approval assertions', () => {
  it('verifies what the API signed, with the claims it signed', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 12) };
    const { signer, keys } = await signerAt(clock);
    const token = await signer.sign({ ...claims, groups: ['équipe'] });
    const check = verifyAssertion(token, keys(), binding, clock.now + 1_000);
    assert.ok(check.valid, JSON.stringify(check));
    assert.equal(check.claims.sub, 'user-1');
    assert.deepEqual(check.claims.groups, ['équipe'], 'non-ASCII survives the ASCII payload');
    assert.equal(check.claims.exp, clock.now + 60_000);
  });

  it('refuses an expired assertion, one from the future, and none at all', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 12) };
    const { signer, keys } = await signerAt(clock);
    const token = await signer.sign(claims);
    assert.deepEqual(verifyAssertion(token, keys(), binding, clock.now + 60_000), {
      valid: false,
      reason: 'the approval assertion has expired',
    });
    assert.deepEqual(verifyAssertion(token, keys(), binding, clock.now - 31_000), {
      valid: false,
      reason: 'the approval assertion was issued in the future',
    });
    for (const missing of [undefined, null, '', 'abc', 42])
      assert.equal(verifyAssertion(missing, keys(), binding, clock.now).valid, false);
  });

  it('refuses it for another workflow, request or action', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 12) };
    const { signer, keys } = await signerAt(clock);
    const token = await signer.sign(claims);
    const reason = (expected: typeof binding) => {
      const check = verifyAssertion(token, keys(), expected, clock.now);
      return check.valid ? 'valid' : check.reason;
    };
    assert.equal(
      reason({ ...binding, workflowId: 'tenant-provision/other' }),
      'the approval assertion is for another workflow',
    );
    assert.equal(reason({ ...binding, requestId: 'req-2' }), 'the approval assertion is for another approval request');
    assert.equal(reason({ ...binding, action: 'reject' }), 'the approval assertion is for "approve", not "reject"');
  });

  it('refuses forgeries: changed claims, another key, an unknown kid', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 12) };
    const { signer, keys } = await signerAt(clock);
    const token = await signer.sign({ ...claims, platformAdmin: false });
    const [payload, signature] = token.split('.') as [string, string];
    // Promote oneself to platform admin, keeping the signature.
    const decoded = JSON.parse(String.fromCharCode(...base64UrlDecode(payload)));
    const promoted = base64UrlEncode(ascii(asciiJson({ ...decoded, platformAdmin: true })));
    assert.deepEqual(verifyAssertion(`${promoted}.${signature}`, keys(), binding, clock.now), {
      valid: false,
      reason: 'the approval assertion has no valid signature',
    });
    // Signed properly, but with a key of one's own under Atrium's kid.
    const mine = generateKeyPairSync('ed25519').privateKey;
    const forged = base64UrlEncode(new Uint8Array(sign(null, Buffer.from(ascii(ASSERTION_CONTEXT + promoted)), mine)));
    assert.equal(verifyAssertion(`${promoted}.${forged}`, keys(), binding, clock.now).valid, false);
    // A kid the workflow was never given.
    assert.match(
      (verifyAssertion(token, [], binding, clock.now) as { reason: string }).reason,
      /signed with an unknown key \(ak-/,
    );
    // Any single changed character of the token is refused.
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(...'AQgw_-xZ'), (at, char) => {
        fc.pre(token[at] !== char && token[at] !== '.');
        const changed = token.slice(0, at) + char + token.slice(at + 1);
        assert.equal(verifyAssertion(changed, keys(), binding, clock.now).valid, false);
      }),
    );
  });

  it('rotates keys before they run out; a retired key signs nothing new', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 12) };
    const { signer, published, keys } = await signerAt(clock, 60_000, 600_000);
    const first = signer.currentKeyId();
    clock.now += 540_001; // within one assertion lifetime of the key's end
    const token = await signer.sign(claims);
    assert.equal(published.length, 2, 'a new key was published');
    assert.notEqual(signer.currentKeyId(), first);
    assert.ok(verifyAssertion(token, keys(), binding, clock.now).valid);
    // The old key is known but no longer vouches for assertions issued after its end.
    const oldKey = keys()[0]!;
    assert.equal(oldKey.kid, first);
    assert.ok(oldKey.notAfter! < clock.now + 60_000);
  });

  it('reads the claims of an accepted assertion without checking it (for the Update handler)', async () => {
    const { signer } = await signerAt({ now: Date.UTC(2026, 11, 2, 12) });
    assert.equal(readClaims(await signer.sign(claims))?.sub, 'user-1');
    assert.equal(readClaims('not-an-assertion'), null);
  });

  it('base64url round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = base64UrlEncode(bytes);
        assert.equal(text, Buffer.from(bytes).toString('base64url'));
        assert.deepEqual(base64UrlDecode(text), bytes);
      }),
    );
  });
});
