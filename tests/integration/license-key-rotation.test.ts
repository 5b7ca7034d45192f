// License signing-key rotation (docs/decisions/0038) through the whole platform: the worker signs
// licenses with the current key of the license keyring in the secret store; a platform admin
// rotates it through the same rotateSigningKey workflow as the access-token keys. A license
// signed before the rotation still verifies against the published license JWKS afterwards (its
// key stays published for good), a license issued after it is signed with the new key, the
// old private key is gone from the keyring, and no private key is in the workflow's history.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LicenseJwks, TenantLicenseDocument } from '../../contracts/license.ts';
import type { SigningKeysOverview } from '../../contracts/secret-rotation.ts';
import type { RotateSigningKeyResult } from '../../workflows/secret-rotation/contract.ts';
import { request } from '../support/api-client.ts';
import { historyText } from '../support/connectors.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';

describe('license signing-key rotation', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({ env: { JWKS_MAX_AGE: '1s', SIGNING_KEYS_RELOAD_INTERVAL: '500ms' } });
  });
  after(async () => {
    await platform?.stop();
  });

  const licenseOf = async (slug: string, headers: Record<string, string>) => {
    const answer = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/license`, { headers });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return TenantLicenseDocument.parse(answer.body);
  };
  const verify = async (token: string) => {
    const jwks = LicenseJwks.parse((await request(platform.baseUrl, 'GET', '/api/v1/license/jwks')).body);
    return jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'atrium', audience: 'atrium-license' });
  };
  const licenseKeyring = async () => {
    const answer = await request<SigningKeysOverview>(
      platform.baseUrl,
      'GET',
      '/api/v1/admin/signing-keys?purpose=licenses',
      { headers: platform.admin.headers },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };

  it('keeps a license signed before the rotation verifiable, and signs new ones with the new key', async () => {
    const before = await provisionTenantWithOwner(platform, 'licensed');
    const oldLicense = await licenseOf(before.slug, before.owner.headers);
    const initial = await licenseKeyring();
    assert.deepEqual(
      initial.keys.map((key) => [key.kid, key.state]),
      [[oldLicense.keyId, 'current']],
    );

    const refused = await request(platform.baseUrl, 'POST', '/api/v1/admin/signing-keys/rotations', {
      headers: platform.admin.headers,
      json: { purpose: 'jwt' },
    });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.errors[0].path, 'purpose');
    assert.equal((await licenseKeyring()).keyringVersion, initial.keyringVersion);

    const started = await request(platform.baseUrl, 'POST', '/api/v1/admin/signing-keys/rotations', {
      headers: platform.admin.headers,
      json: { purpose: 'licenses' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const workflowId = started.body.workflowId as string;
    const result = (await platform.temporal.workflow.getHandle(workflowId).result()) as RotateSigningKeyResult;
    assert.equal(result.outcome, 'completed', JSON.stringify(result.progress));
    assert.equal(result.oldKid, oldLicense.keyId);
    const newKid = result.newKid!;
    assert.notEqual(newKid, oldLicense.keyId);

    // The old private key is gone from the keyring; its public key is still published.
    const rotated = await licenseKeyring();
    assert.deepEqual(
      rotated.keys.map((key) => [key.kid, key.state]),
      [[newKid, 'current']],
    );
    const { payload } = await verify(oldLicense.token);
    assert.equal(payload.jti, oldLicense.licenseId);
    // The access-token keyring was not touched.
    const accessTokens = await request<SigningKeysOverview>(platform.baseUrl, 'GET', '/api/v1/admin/signing-keys', {
      headers: platform.admin.headers,
    });
    assert.equal(accessTokens.body.keys.length, 1);
    assert.notEqual(accessTokens.body.keys[0]!.kid, newKid);

    // A license issued afterwards is signed with the new key, and verifies too.
    const afterwards = await provisionTenantWithOwner(platform, 'relicensed');
    const newLicense = await licenseOf(afterwards.slug, afterwards.owner.headers);
    assert.equal(newLicense.keyId, newKid);
    assert.equal(decodeProtectedHeader(newLicense.token).kid, newKid);
    await verify(newLicense.token);
    // And the one from before is still what its tenant downloads, still verifying.
    assert.equal((await licenseOf(before.slug, before.owner.headers)).token, oldLicense.token);

    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_type = 'signing_key' AND after->>'rotationId' = $1 ORDER BY id`,
      [result.rotationId],
    );
    assert.deepEqual(
      audit.map((row) => row.action),
      ['signing_key.published', 'signing_key.switched', 'signing_key.removed'],
    );
    const history = await historyText(platform.temporal, workflowId);
    assert.doesNotMatch(history, /PRIVATE KEY/);
    await recordHistory(platform.temporal, workflowId, 'rotate-signing-key-licenses');
  });
});
