// @needs-servers: vault
// The Vault adapter against OpenBao in dev mode (the Vault HTTP API, through node-vault):
// the port's contract, then what only a real Vault enforces: a tenant's AppRole reads its
// own secrets and is denied everyone else's, and failures say what to fix.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import vault from 'node-vault';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import type { VaultSettings } from '../../integrations/secrets/vault.ts';
import { freePort } from '../../scripts/free-port.ts';
import { vaultServer } from '../support/servers.ts';
import { secretStoreContract } from './secrets.contract.ts';

const server = vaultServer();
const settings = (auth: VaultSettings['auth'], address = server.address): VaultSettings => ({
  address,
  auth,
  kvMount: 'secret',
  transitMount: 'transit',
  approleMount: 'approle',
});
const admin = createVaultSecretStore(settings({ token: server.rootToken }));

secretStoreContract('vault (OpenBao)', () => Promise.resolve({ store: admin, stop: () => Promise.resolve() }));

// The same contract as Atrium runs in production: logged in with an AppRole whose only policy is
// the documented deploy/openbao/atrium-policy.hcl, so the file cannot fall behind what the
// adapter does.
secretStoreContract('vault (OpenBao) with the AppRole and policy of deploy/openbao', async () => {
  const name = `atrium-documented-${randomBytes(3).toString('hex')}`;
  const root = vault({ apiVersion: 'v1', endpoint: server.address, token: server.rootToken });
  await root.addPolicy({
    name,
    rules: readFileSync(new URL('../../deploy/openbao/atrium-policy.hcl', import.meta.url), 'utf8'),
  });
  await root.write(`auth/approle/role/${name}`, { token_policies: [name], token_ttl: '1h', token_max_ttl: '24h' });
  const roleId = ((await root.read(`auth/approle/role/${name}/role-id`)) as { data: { role_id: string } }).data.role_id;
  const secretId = ((await root.write(`auth/approle/role/${name}/secret-id`, {})) as { data: { secret_id: string } })
    .data.secret_id;
  return { store: createVaultSecretStore(settings({ roleId, secretId })), stop: () => Promise.resolve() };
});

/** Logs in as a tenant's workload would: its AppRole's role id and a secret id. */
async function loginAsTenant(slug: string): Promise<vault.client> {
  const access = await admin.ensureTenantAccess(slug);
  const { secretId } = await admin.issueTenantSecretId(slug);
  const client = vault({ apiVersion: 'v1', endpoint: server.address });
  const login = (await client.approleLogin({ role_id: access.roleId, secret_id: secretId })) as {
    auth: { client_token: string; policies: string[] };
  };
  assert.ok(login.auth.policies.includes(access.policyName), JSON.stringify(login.auth.policies));
  client.token = login.auth.client_token;
  return client;
}

describe('vault adapter: tenant isolation and failures', () => {
  const run = randomBytes(3).toString('hex');
  const alpha = `alpha-${run}`;
  const beta = `beta-${run}`;

  test("a tenant's AppRole reads and writes its own path and is denied another tenant's", async () => {
    await admin.write(`tenants/${alpha}/database`, { password: 'alpha-secret' });
    await admin.write(`tenants/${beta}/database`, { password: 'beta-secret' });
    const asAlpha = await loginAsTenant(alpha);

    const own = (await asAlpha.read(`secret/data/tenants/${alpha}/database`)) as {
      data: { data: { password: string } };
    };
    assert.equal(own.data.data.password, 'alpha-secret');
    await asAlpha.write(`secret/data/tenants/${alpha}/app-config`, { data: { mode: 'x' } });
    assert.deepEqual((await admin.read(`tenants/${alpha}/app-config`))?.data, { mode: 'x' });

    for (const attempt of [
      () => asAlpha.read(`secret/data/tenants/${beta}/database`),
      () => asAlpha.write(`secret/data/tenants/${beta}/database`, { data: { password: 'stolen' } }),
      () => asAlpha.list(`secret/metadata/tenants`),
      () => asAlpha.read('sys/policies/acl/root'),
    ]) {
      const error = (await attempt().catch((e: unknown) => e)) as { response?: { statusCode: number } };
      assert.equal(error.response?.statusCode, 403);
    }
    assert.deepEqual((await admin.read(`tenants/${beta}/database`))?.data, { password: 'beta-secret' });
  });

  test('after removing tenant access, its AppRole cannot log in any more', async () => {
    const access = await admin.ensureTenantAccess(beta);
    const { secretId } = await admin.issueTenantSecretId(beta);
    await admin.removeTenantAccess(beta);
    const client = vault({ apiVersion: 'v1', endpoint: server.address });
    const error = (await client
      .approleLogin({ role_id: access.roleId, secret_id: secretId })
      .catch((e: unknown) => e)) as {
      response?: { statusCode: number };
    };
    assert.ok([400, 403].includes(error.response?.statusCode ?? 0), JSON.stringify(error.response));
  });

  test('Atrium itself may log in with an AppRole instead of a token', async () => {
    // A role for Atrium limited to one prefix, as an operator would set it up.
    const root = vault({ apiVersion: 'v1', endpoint: server.address, token: server.rootToken });
    await root.addPolicy({
      name: `atrium-${run}`,
      rules: `path "secret/data/atrium-${run}/*" { capabilities = ["create", "read", "update"] }`,
    });
    await root.write(`auth/approle/role/atrium-${run}`, { token_policies: [`atrium-${run}`] });
    const roleId = ((await root.read(`auth/approle/role/atrium-${run}/role-id`)) as { data: { role_id: string } }).data
      .role_id;
    const secretId = (
      (await root.write(`auth/approle/role/atrium-${run}/secret-id`, {})) as { data: { secret_id: string } }
    ).data.secret_id;

    const store = createVaultSecretStore(settings({ roleId, secretId }));
    await store.write(`atrium-${run}/x`, { ok: 'yes' });
    assert.deepEqual((await store.read(`atrium-${run}/x`))?.data, { ok: 'yes' });
    const denied = await store.write(`tenants/${alpha}/database`, { password: 'nope' }).catch((e: unknown) => e);
    assert.ok(denied instanceof SecretStoreError && denied.reason === 'forbidden', String(denied));
    assert.match(denied.message, /lacks a policy/);
  });

  test("Atrium's AppRole token is renewed before it lapses, and replaced before its maximum lifetime", async () => {
    // A short-lived role (3 s tokens, 7 s at most): a process running for 12 s renews its token
    // and logs in again before the maximum, and no request ever meets a lapsed token.
    const root = vault({ apiVersion: 'v1', endpoint: server.address, token: server.rootToken });
    await root.addPolicy({
      name: `atrium-renew-${run}`,
      rules: `path "secret/data/atrium-renew-${run}/*" { capabilities = ["create", "read", "update"] }`,
    });
    await root.write(`auth/approle/role/atrium-renew-${run}`, {
      token_policies: [`atrium-renew-${run}`],
      token_ttl: '3s',
      token_max_ttl: '7s',
    });
    const roleId = ((await root.read(`auth/approle/role/atrium-renew-${run}/role-id`)) as { data: { role_id: string } })
      .data.role_id;
    const secretId = (
      (await root.write(`auth/approle/role/atrium-renew-${run}/secret-id`, {})) as { data: { secret_id: string } }
    ).data.secret_id;
    const events: string[] = [];
    const store = createVaultSecretStore({
      ...settings({ roleId, secretId }),
      onTokenEvent: (event) => events.push(event.kind),
    });
    await store.write(`atrium-renew-${run}/x`, { ok: 'yes' });
    const until = Date.now() + 12_000;
    let reads = 0;
    while (Date.now() < until) {
      assert.deepEqual((await store.read(`atrium-renew-${run}/x`))?.data, { ok: 'yes' });
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const count = (kind: string) => events.filter((e) => e === kind).length;
    assert.ok(reads > 20, `only ${reads} reads`);
    assert.equal(count('refused'), 0, `a request met a lapsed token: ${events.join(', ')}`);
    assert.ok(count('renewed') >= 2, `renewals: ${events.join(', ')}`);
    // The first login, then one more each time the 7 s maximum drew near (12 s: one or two).
    assert.ok(count('login') >= 2 && count('login') <= 3, `logins: ${events.join(', ')}`);
  });

  test('a wrong token is "unauthorized" or "forbidden", and the message names the fix', async () => {
    const store = createVaultSecretStore(settings({ token: 'not-a-token' }));
    const error = await store.verify().catch((e: unknown) => e);
    assert.ok(error instanceof SecretStoreError, String(error));
    assert.ok(['unauthorized', 'forbidden'].includes(error.reason));
    assert.equal(error.retryable, false);
    assert.match(error.message, new RegExp(`Vault at ${server.address.replace(/[.]/g, '\\.')}`));
  });

  test('an unreachable Vault is retryable and names VAULT_ADDR', async () => {
    const store = createVaultSecretStore(settings({ token: server.rootToken }, `http://127.0.0.1:${await freePort()}`));
    const error = await store.read('tenants/x/y').catch((e: unknown) => e);
    assert.ok(error instanceof SecretStoreError, String(error));
    assert.equal(error.reason, 'unreachable');
    assert.equal(error.retryable, true);
    assert.match(error.message, /Check VAULT_ADDR/);
  });
});
