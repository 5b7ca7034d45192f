// @needs-servers: vault
// The persistent Vault-API server of docker-compose.vault.yml, run here without Docker: the same
// configuration file (deploy/openbao/openbao.hcl, with its data folder and port moved to this
// test's own) under the bao binary scripts/servers.sh builds. It walks docs/operations.md,
// "Vault for real use": initialise, unseal, mount KV v2, transit and AppRole, write Atrium's
// policy (deploy/openbao/atrium-policy.hcl) and an AppRole, then Atrium logs in with the
// AppRole and keeps a secret. After a restart the server is sealed: Atrium's calls fail with
// a message, nothing is lost, and once unsealed the secret reads back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import { freePort } from '../../scripts/free-port.ts';
import { vaultBinary } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

const CONFIG = readFileSync(new URL('../../deploy/openbao/openbao.hcl', import.meta.url), 'utf8');
const POLICY = readFileSync(new URL('../../deploy/openbao/atrium-policy.hcl', import.meta.url), 'utf8');

describe('a persistent OpenBao server set up as docs/operations.md says', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atrium-vault-persistent-'));
  let address = '';
  let server: ChildProcess | null = null;
  let output = '';
  let unsealKeys: string[] = [];
  let rootToken = '';

  async function api(method: string, path: string, body?: unknown, token = rootToken) {
    const response = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { ...(token ? { 'x-vault-token': token } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, any>;
  }

  const health = () =>
    fetch(`${address}/v1/sys/health?sealedcode=200&uninitcode=200`).then(
      (r) => r.json() as Promise<{ initialized: boolean; sealed: boolean }>,
      () => undefined,
    );

  async function startServer(): Promise<void> {
    output = '';
    server = spawn(vaultBinary(), ['server', `-config=${join(dir, 'openbao.hcl')}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor('the server to answer', () => health(), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
  }

  async function stopServer(): Promise<void> {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }

  async function unseal(): Promise<void> {
    for (const key of unsealKeys.slice(0, 2)) await api('PUT', 'sys/unseal', { key }, '');
    assert.equal((await health())?.sealed, false);
  }

  before(async () => {
    const port = await freePort();
    address = `http://127.0.0.1:${port}`;
    // The documented file, with the data folder and the port this test owns.
    assert.match(CONFIG, /path = "\/openbao\/file"/);
    assert.match(CONFIG, /address {5}= "0\.0\.0\.0:8200"/);
    writeFileSync(
      join(dir, 'openbao.hcl'),
      CONFIG.replace('/openbao/file', join(dir, 'data'))
        .replace('0.0.0.0:8200', `127.0.0.1:${port}`)
        .replace('http://127.0.0.1:8200', address),
    );
    await startServer();
  });
  after(async () => {
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  });

  test('initialise, unseal, mount, and give Atrium its policy and AppRole', async () => {
    const first = await health();
    assert.equal(first?.initialized, false, 'a new server starts uninitialised');
    assert.equal(first?.sealed, true);
    const init = await api('PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 }, '');
    unsealKeys = init.keys_base64 as string[];
    rootToken = init.root_token as string;
    assert.equal(unsealKeys.length, 3);
    await unseal();

    await api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    await api('POST', 'sys/mounts/transit', { type: 'transit' });
    await api('POST', 'sys/auth/approle', { type: 'approle' });
    await api('PUT', 'sys/policies/acl/atrium', { policy: POLICY });
    await api('POST', 'auth/approle/role/atrium', {
      token_policies: ['atrium'],
      token_ttl: '1h',
      token_max_ttl: '24h',
    });
  });

  test('Atrium keeps a secret through a restart; while sealed its calls fail and say so', async () => {
    const roleId = (await api('GET', 'auth/approle/role/atrium/role-id')).data.role_id as string;
    const secretId = (await api('POST', 'auth/approle/role/atrium/secret-id', {})).data.secret_id as string;
    const settings = {
      address,
      auth: { roleId, secretId },
      kvMount: 'secret',
      transitMount: 'transit',
      approleMount: 'approle',
    };
    const store = createVaultSecretStore(settings);
    await store.verify();
    await store.write('tenants/acme/database', { password: 'kept-across-restarts' });
    const sealedText = await store.encrypt('tenant-acme', 'hello');

    await stopServer();
    await startServer();
    assert.equal((await health())?.sealed, true, 'a restarted server is sealed');
    const refused = await createVaultSecretStore(settings)
      .read('tenants/acme/database')
      .catch((error: unknown) => error);
    assert.ok(refused instanceof SecretStoreError, String(refused));
    assert.equal(refused.retryable, true, 'a sealed server is worth retrying once unsealed');
    assert.match(refused.message, /sealed/i);

    await unseal();
    const fresh = createVaultSecretStore(settings);
    assert.deepEqual((await fresh.read('tenants/acme/database'))?.data, { password: 'kept-across-restarts' });
    assert.equal(await fresh.decrypt('tenant-acme', sealedText), 'hello');
  });
});
