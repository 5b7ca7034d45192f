// Small pieces of provisioning that need no server: the SCRAM verifier PostgreSQL gets
// instead of a password, the plan table, and the license token's shape.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createLicenseSigner } from '../../activities/tenant-provisioning/license.ts';
import {
  generatePassword,
  scramSha256Verifier,
  scramVerifierMatches,
} from '../../activities/tenant-provisioning/scram.ts';
import { tenantLoginRoleName } from '../../activities/shared/tenant-teardown.ts';
import { PLAN_NAMES, PLANS } from '../../workflows/shared/plans.ts';

describe('provisioning pieces', () => {
  it('computes a SCRAM-SHA-256 verifier that matches only its password', () => {
    const password = generatePassword();
    assert.match(password, /^[A-Za-z0-9_-]{43}$/);
    const verifier = scramSha256Verifier(password);
    assert.match(verifier, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    assert.ok(!verifier.includes(password));
    assert.ok(scramVerifierMatches(verifier, password));
    assert.ok(!scramVerifierMatches(verifier, `${password}x`));
    assert.notEqual(scramSha256Verifier(password), verifier, 'a fresh salt each time');
  });

  it('keeps login role names within PostgreSQL’s 63 characters for the longest slug', () => {
    const longest = `a${'b'.repeat(38)}c`;
    assert.equal(longest.length, 40);
    assert.ok(tenantLoginRoleName(longest).length <= 63);
    assert.equal(tenantLoginRoleName('acme-corp'), 'tenant_acme_corp_login');
  });

  it('defines every plan, each giving at least what the one below gives', () => {
    assert.deepEqual(Object.keys(PLANS), [...PLAN_NAMES]);
    for (let i = 1; i < PLAN_NAMES.length; i += 1) {
      const lower = PLANS[PLAN_NAMES[i - 1]!];
      const higher = PLANS[PLAN_NAMES[i]!];
      for (const feature of lower.features) assert.ok(higher.features.includes(feature), `${higher.tier}: ${feature}`);
      assert.ok(higher.cluster.quota.pods > lower.cluster.quota.pods);
    }
  });

  it('signs a license that verifies with its published key and says tier, features and limits', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const signer = await createLicenseSigner(pem, 'test key');
    const token = await signer.sign(
      {
        licenseId: '3b7c1c1e-1111-4111-8111-111111111111',
        tenantId: 't-1',
        slug: 'acme',
        tier: 'free',
        features: PLANS.free.features,
        limits: PLANS.free.limits,
      },
      new Date('2026-12-01T00:00:00Z'),
    );
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: [signer.publicJwk] }), {
      algorithms: ['EdDSA'],
      issuer: 'atrium',
      audience: 'atrium-license',
    });
    assert.equal(protectedHeader.kid, signer.keyId);
    assert.equal(payload.sub, 't-1');
    assert.equal(payload.tier, 'free');
    assert.deepEqual(payload.limits, PLANS.free.limits);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    await assert.rejects(createLicenseSigner(rsa as string, 'LICENSE_SIGNING_KEY_FILE'), /must hold an Ed25519 key/);
  });
});
