// What every secret store adapter must do. Each adapter's test file calls
// `secretStoreContract` with a way to build the adapter against its real backend.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';

export interface SecretStoreUnderTest {
  store: SecretStore;
  stop(): Promise<void>;
}

export function secretStoreContract(name: string, start: () => Promise<SecretStoreUnderTest>): void {
  describe(`secret store port contract: ${name}`, () => {
    let subject: SecretStoreUnderTest;
    let store: SecretStore;
    // Every run writes under its own prefix, so reruns against a long-lived server never collide.
    const root = `contract-${randomBytes(4).toString('hex')}`;
    before(async () => {
      subject = await start();
      store = subject.store;
    });
    after(async () => {
      await subject.stop();
    });

    test('verify() succeeds with working credentials', async () => {
      await store.verify();
    });

    test('writes versions and reads the latest or a chosen one, with metadata', async () => {
      const path = `${root}/versions/database`;
      assert.equal(await store.read(path), null);
      assert.equal(await store.metadata(path), null);
      assert.deepEqual(await store.write(path, { password: 'first' }), { version: 1 });
      assert.deepEqual(await store.write(path, { password: 'second', user: 'app' }), { version: 2 });
      const latest = await store.read(path);
      assert.deepEqual(latest?.data, { password: 'second', user: 'app' });
      assert.equal(latest?.version, 2);
      assert.ok(latest.createdAt instanceof Date && !Number.isNaN(latest.createdAt.getTime()));
      assert.deepEqual((await store.read(path, { version: 1 }))?.data, { password: 'first' });
      assert.equal(await store.read(path, { version: 7 }), null);
      const metadata = await store.metadata(path);
      assert.equal(metadata?.currentVersion, 2);
      assert.deepEqual(
        metadata?.versions.map((v) => v.version),
        [1, 2],
      );
    });

    test('check-and-set: cas 0 creates only if absent; a stale version is a conflict', async () => {
      const path = `${root}/cas/token`;
      assert.deepEqual(await store.write(path, { v: 'a' }, { cas: 0 }), { version: 1 });
      const again = await store.write(path, { v: 'b' }, { cas: 0 }).catch((e: unknown) => e);
      assert.ok(again instanceof SecretStoreError, String(again));
      assert.equal(again.reason, 'conflict');
      assert.equal(again.retryable, false);
      assert.deepEqual(await store.write(path, { v: 'c' }, { cas: 1 }), { version: 2 });
      assert.deepEqual((await store.read(path))?.data, { v: 'c' }, 'the conflicting write changed nothing');
    });

    test('lists names under a prefix, folders with a trailing slash', async () => {
      await store.write(`${root}/list/a`, { x: '1' });
      await store.write(`${root}/list/b`, { x: '1' });
      await store.write(`${root}/list/nested/c`, { x: '1' });
      assert.deepEqual(await store.list(`${root}/list`), ['a', 'b', 'nested/']);
      assert.deepEqual(await store.list(`${root}/list/nested/`), ['c']);
      assert.deepEqual(await store.list(`${root}/nothing-here`), []);
    });

    test('destroyVersions removes only the versions named; the rest and the current version stay', async () => {
      const path = `${root}/destroy-versions/key`;
      await store.write(path, { x: '1' });
      await store.write(path, { x: '2' });
      await store.write(path, { x: '3' });
      await store.destroyVersions(path, [1, 2]);
      assert.equal(await store.read(path, { version: 1 }), null);
      assert.equal(await store.read(path, { version: 2 }), null);
      assert.deepEqual((await store.read(path))?.data, { x: '3' });
      assert.equal((await store.metadata(path))?.currentVersion, 3);
      await store.destroyVersions(path, [1]);
      await store.destroyVersions(`${root}/destroy-versions/absent`, [1]);
      assert.deepEqual(await store.write(path, { x: '4' }), { version: 4 }, 'numbers are not reused');
    });

    test('destroy removes every version, and destroying again succeeds', async () => {
      const path = `${root}/destroy/me`;
      await store.write(path, { x: '1' });
      await store.write(path, { x: '2' });
      await store.destroy(path);
      assert.equal(await store.read(path), null);
      assert.equal(await store.read(path, { version: 1 }), null);
      assert.equal(await store.metadata(path), null);
      await store.destroy(path);
      assert.deepEqual(await store.write(path, { x: 'new' }), { version: 1 }, 'a fresh start');
    });

    test('encrypts and decrypts with a named key; the ciphertext reveals nothing', async () => {
      const key = `${root}-key`;
      const plaintext = 'refresh-token: 1//0gAbc…ü✓';
      const ciphertext = await store.encrypt(key, plaintext);
      assert.ok(!ciphertext.includes('refresh-token'));
      assert.notEqual(await store.encrypt(key, plaintext), ciphertext, 'a fresh nonce each time');
      assert.equal(await store.decrypt(key, ciphertext), plaintext);
      await assert.rejects(store.decrypt(`${root}-other-key`, ciphertext), SecretStoreError);
    });

    test('tenant access is created once and found again, and removal is idempotent', async () => {
      const slug = `${root}-tenant`;
      const first = await store.ensureTenantAccess(slug);
      const second = await store.ensureTenantAccess(slug);
      assert.equal(first.pathPrefix, `tenants/${slug}`);
      assert.equal(second.roleId, first.roleId);
      assert.equal(second.policyName, first.policyName);
      const { secretId } = await store.issueTenantSecretId(slug);
      assert.ok(secretId.length >= 16);
      await store.removeTenantAccess(slug);
      await store.removeTenantAccess(slug);
    });

    test('refuses paths that could escape their prefix', async () => {
      for (const bad of ['../x', 'a//b', 'a/./b', 'a b', '']) {
        const error = await store.write(bad, { x: '1' }).catch((e: unknown) => e);
        assert.ok(
          error instanceof SecretStoreError && error.reason === 'invalid',
          `${JSON.stringify(bad)}: ${String(error)}`,
        );
      }
    });
  });
}
