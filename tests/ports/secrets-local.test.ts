// The local secret store (the embedded default) against a real PostgreSQL test database:
// the port's contract, then what makes it a safe place for secrets.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';
import { secretStoreContract } from './secrets.contract.ts';

async function openDatabase(): Promise<{ database: TestDatabase; dataSource: DataSource }> {
  const database = await createTestDatabase();
  // The runtime role, as the API and worker connect: the store must work without owner rights.
  const dataSource = createDataSource({ url: database.url, applicationName: 'atrium-test-secrets', poolSize: 4 });
  await dataSource.initialize();
  return { database, dataSource };
}

secretStoreContract('local', async () => {
  const { database, dataSource } = await openDatabase();
  const keyFile = join(mkdtempSync(join(tmpdir(), 'atrium-secrets-')), 'secret-store.key');
  return {
    store: createLocalSecretStore({ dataSource, keyFile }),
    stop: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
});

describe('local secret store: at rest', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const dir = mkdtempSync(join(tmpdir(), 'atrium-secrets-'));
  const keyFile = join(dir, 'nested', 'secret-store.key');

  before(async () => {
    ({ database, dataSource } = await openDatabase());
  });
  after(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  test('creates its key file once, readable by its owner only, and reuses it', async () => {
    const store = createLocalSecretStore({ dataSource, keyFile });
    const key = readFileSync(keyFile, 'utf8');
    assert.equal(Buffer.from(key.trim(), 'base64').length, 32);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    await store.write('tenants/acme/database', { password: 'hunter2-but-longer' });
    const again = createLocalSecretStore({ dataSource, keyFile });
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'the key was not replaced');
    assert.deepEqual((await again.read('tenants/acme/database'))?.data, { password: 'hunter2-but-longer' });
  });

  test('the database holds no plaintext', async () => {
    const rows = await database.query<{ ciphertext: string }>(`SELECT ciphertext FROM local_secrets`);
    assert.ok(rows.length > 0);
    for (const { ciphertext } of rows) {
      assert.doesNotMatch(ciphertext, /hunter2/);
      assert.doesNotMatch(Buffer.from(ciphertext, 'base64').toString('latin1'), /hunter2/);
    }
  });

  test('a row moved to another path, or read with another key, does not decrypt', async () => {
    await database.query(
      `INSERT INTO local_secrets (path, version, ciphertext)
       SELECT 'tenants/evil/database', 1, ciphertext FROM local_secrets WHERE path = 'tenants/acme/database'`,
    );
    const store = createLocalSecretStore({ dataSource, keyFile });
    const moved = await store.read('tenants/evil/database').catch((e: unknown) => e);
    assert.ok(moved instanceof SecretStoreError && moved.reason === 'invalid', String(moved));
    const otherKey = createLocalSecretStore({ dataSource, keyFile: join(dir, 'other.key') });
    const wrongKey = await otherKey.read('tenants/acme/database').catch((e: unknown) => e);
    assert.ok(wrongKey instanceof SecretStoreError);
    assert.match(wrongKey.message, /does not decrypt with the key in .*other\.key/);
  });

  test('reports tenant access as recorded but not enforced', async () => {
    const access = await createLocalSecretStore({ dataSource, keyFile }).ensureTenantAccess('acme');
    assert.equal(access.enforced, false);
  });
});
