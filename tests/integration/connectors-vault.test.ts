// @needs-servers: vault
// Connecting an account with OpenBao as the secret store (connectors.test.ts does the same, and
// the bad input, with the local store): the member goes through the provider's real login and
// consent pages, the tokens land in OpenBao under the tenant's prefix and are live at the
// provider, and neither the workflow histories nor the API's and worker's logs hold a token, the
// code or the client secret. Disconnect revokes them at the provider and deletes them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from '../../contracts/connectors.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import { connectionSecretPaths } from '../../workflows/connectors/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import {
  assertNoSecrets,
  connectThroughProvider,
  defineTestProvider,
  disconnectThroughApi,
  historyText,
  redirectUriFor,
} from '../support/connectors.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { vaultServer, workerEnvFor } from '../support/servers.ts';

const PUBLIC_URL = 'http://portal.connectors-vault.test';

describe('connectors with OpenBao as the secret store', () => {
  let platform: Platform;
  let provider: ConnectorTestProvider;
  let store: SecretStore;
  let owner: TestUser;
  const tenant = { id: '', slug: '' };

  before(async () => {
    provider = await startConnectorProvider({ redirectUris: [redirectUriFor(PUBLIC_URL)] });
    // The API writes the callback and client secrets, the worker the tokens: both use OpenBao.
    platform = await startPlatform({
      env: {
        ...workerEnvFor({ vault: true }),
        PUBLIC_URL,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        CONNECTOR_ALLOW_INSECURE_PROVIDERS: 'true',
      },
    });
    const { address, rootToken } = vaultServer();
    store = createVaultSecretStore({
      address,
      auth: { token: rootToken },
      kvMount: 'secret',
      transitMount: 'transit',
      approleMount: 'approle',
    });
    owner = await seedUser(platform.database, { email: 'owner@connectors-vault.test' });
    tenant.slug = uniqueSlug('conn-bao');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Bao', ownerEmail: `owner@${tenant.slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant.id = created.body.tenant.id;
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant.id,
      owner.userId,
    ]);
  });
  after(async () => {
    await platform?.stop();
    await provider?.stop();
  });

  it('stores the tokens in OpenBao only, and no history or log holds a secret', async () => {
    const custom = await defineTestProvider(platform, owner, tenant.slug, provider);
    assert.equal(
      (await store.read(`tenants/${tenant.slug}/connector-providers/${custom.id}/client`))?.data.clientSecret,
      provider.clientSecret,
      "the tenant's client secret is in OpenBao",
    );
    const { started, callback, operation } = await connectThroughProvider(
      platform,
      owner,
      tenant.slug,
      provider,
      custom.id,
      'grace',
    );
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const connectionId = started.connection.id;
    const shown = Connection.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/connections/${connectionId}`, {
          headers: owner.headers,
        })
      ).body,
    );
    assert.equal(shown.status, 'active');
    assert.equal(shown.account?.name, 'grace@provider.test');

    const paths = connectionSecretPaths(tenant.slug, connectionId);
    const tokens = (await store.read(paths.tokens))!.data;
    assert.ok(tokens.access_token && tokens.refresh_token, 'the tokens are in OpenBao');
    assert.equal(await provider.introspect(tokens.access_token), true);
    const local = await platform.database.query(`SELECT count(*)::int AS n FROM local_secrets`);
    assert.equal(local[0]!.n, 0, 'nothing went to the local store');

    const disconnected = await disconnectThroughApi(platform, owner, tenant.slug, connectionId);
    assert.equal(await store.read(paths.tokens), null);
    assert.equal(await provider.introspect(tokens.refresh_token), false);

    assertNoSecrets(
      {
        'the connect history': await historyText(platform.temporal, started.operation.id),
        'the disconnect history': await historyText(platform.temporal, disconnected.id),
        'the API log': platform.api.output(),
        'the worker log': platform.worker.output(),
      },
      {
        'the access token': tokens.access_token,
        'the refresh token': tokens.refresh_token,
        'the ID token': tokens.id_token ?? '',
        'the authorization code': callback.code!,
        'the client secret': provider.clientSecret,
      },
    );
  });
});
