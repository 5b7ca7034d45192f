// The secret scan: every secret this file creates or sends through the API — passwords (right,
// wrong and changed), a session's tokens, an API key, webhook signing secrets (created and
// rotated), tenant secret values (two versions), an SSO client secret the API refuses — must
// appear nowhere but in the one answer that hands it out (a creation, a rotation, a sign-in, a
// reveal): not in the API's or the worker's log, not in any workflow history of the platform
// (payloads decoded), not in any other answer — including every GET route of the OpenAPI
// document, generated, read for the tenant as its owner — and not in plain text in any table
// (the audit log and the event outbox among them).
//
// The rotations too (issue 16): one of a tenant secret (to a consumer's verify hook), one of the
// tenant's database login, one of each signing keyring (licenses, access tokens). What they make
// is read straight from the secret store, never through a reveal: the secret's old and new
// values, both logins' passwords, every signing key's private key (its PEM body and its JWK `d`).
// Their histories, reports, operations and the admin views are scanned with the rest.
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { tenantSecretPath } from '../../api/routes/secrets.ts';
import { createAccessTokens } from '../../api/auth/access-tokens.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import type { SigningKeyPurpose } from '../../integrations/secrets/signing-keyring.ts';
import { readSigningKeyring, signingKeyringPath } from '../../integrations/secrets/signing-keyring.ts';
import { tenantDatabaseSecretPath } from '../../activities/shared/tenant-teardown.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { OpenApiDocument } from '../support/openapi-cases.ts';
import { describeOperation, operationsOf, plausiblePathValue, urlOf } from '../support/openapi-cases.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { RotationConsumers } from '../support/rotation-consumer.ts';
import { startRotationConsumers } from '../support/rotation-consumer.ts';
import { waitFor } from '../support/wait-for.ts';

// A public address given literally: registering an endpoint calls nothing.
const PUBLIC_URL = 'https://93.184.215.14/atrium/secret-scan';

describe('the secret scan of logs, histories, answers and tables', () => {
  let platform: Platform;
  let document: OpenApiDocument;
  let owner: TestUser;
  const tenant = { id: '', slug: '' };
  /** Every secret, by what it is. */
  const secrets: Record<string, string> = {};
  /** Every answer body but the designated ones, by the request that got it. */
  const answers: Record<string, string> = {};
  const known: Record<string, string> = {};
  /** The workflows of the rotations: their histories must be among those scanned. */
  const rotationWorkflows: string[] = [];
  let consumers: RotationConsumers;
  let storeConnection: DataSource;
  let store: SecretStore;
  let adminHeaders: Record<string, string>;

  const fresh = (label: string) => {
    const value = `${label}-${randomBytes(18).toString('base64url')}`;
    secrets[label] = value;
    return value;
  };
  /** Sends a request; its answer joins the scan unless it is the one that hands a secret out. */
  async function send(
    method: string,
    path: string,
    options: { json?: unknown; headers?: Record<string, string>; designated?: boolean } = {},
  ) {
    const answer = await request(platform.baseUrl, method, path, {
      headers: options.headers ?? owner.headers,
      ...(options.json === undefined ? {} : { json: options.json }),
    });
    if (!options.designated) answers[`${method} ${path} (${answer.status})`] = JSON.stringify(answer.body ?? '');
    return answer;
  }

  before(async () => {
    consumers = await startRotationConsumers();
    platform = await startPlatform({
      env: {
        // The rotations' waits in seconds: the consumer's hook on loopback, a 1s overlap for the
        // database login, signing keys whose tokens live 6s and that every process rereads twice a second.
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        DATABASE_LOGIN_OVERLAP: '1s',
        ACCESS_TOKEN_TTL: '6s',
        SIGNING_KEYS_RELOAD_INTERVAL: '500ms',
        SIGNING_KEY_DISTRIBUTION_TIMEOUT: '5s',
        JWKS_MAX_AGE: '1s',
      },
    });
    adminHeaders = platform.admin.headers;
    storeConnection = createDataSource({
      url: platform.database.url,
      applicationName: 'atrium-test-scan',
      poolSize: 2,
    });
    await storeConnection.initialize();
    store = createLocalSecretStore({ dataSource: storeConnection, keyFile: '.data/secret-store.key' });
    document = (await request(platform.baseUrl, 'GET', '/api/v1/openapi.json')).body;
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('scan'), name: 'Scan', plan: 'team', ownerEmail: 'first@scan.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    Object.assign(tenant, created.body.tenant);
    owner = await seedUser(platform.database, { email: 'owner@scan.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenant.id,
      owner.userId,
    ]);
  });
  after(async () => {
    await storeConnection?.destroy();
    await platform?.stop();
    await consumers?.stop();
  });

  it('uses every kind of secret through the API', async () => {
    const base = `/api/v1/tenants/${tenant.slug}`;
    // Passwords: a wrong one, the right one, a change, and signing in with the new one.
    secrets.password = owner.password;
    const wrong = await send('POST', '/api/v1/auth/login', {
      json: { email: owner.email, password: fresh('wrong-password') },
      headers: {},
    });
    assert.equal(wrong.status, 401);
    const session = await send('POST', '/api/v1/auth/login', {
      json: { email: owner.email, password: owner.password },
      headers: {},
      designated: true,
    });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    secrets['access token'] = session.body.accessToken;
    secrets['refresh token'] = session.body.refreshToken;
    const changed = await send('POST', '/api/v1/me/password', {
      json: { currentPassword: owner.password, newPassword: fresh('new-password') },
      headers: { authorization: `Bearer ${session.body.accessToken}` },
    });
    assert.ok(changed.status < 300, JSON.stringify(changed.body));
    const again = await send('POST', '/api/v1/auth/login', {
      json: { email: owner.email, password: secrets['new-password'] },
      headers: {},
      designated: true,
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));

    // An API key, used once.
    const key = await send('POST', `${base}/api-keys`, { json: { name: 'scan key', role: 'admin' }, designated: true });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    secrets['API key'] = key.body.key;
    known.keyId = key.body.apiKey.id;
    const members = await send('GET', `${base}/members`, { headers: { authorization: `Bearer ${key.body.key}` } });
    assert.equal(members.status, 200, JSON.stringify(members.body));

    // A webhook endpoint's signing secret, and the one its rotation hands out.
    const endpoint = await send('POST', `${base}/webhooks`, {
      json: { url: PUBLIC_URL, eventTypes: ['member.joined'] },
      designated: true,
    });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    secrets['webhook secret'] = endpoint.body.secret;
    known.endpointId = endpoint.body.endpoint.id;
    const rotated = await send('POST', `${base}/webhooks/${known.endpointId}/rotate-secret`, {
      json: { gracePeriod: '1h' },
      designated: true,
    });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    secrets['rotated webhook secret'] = rotated.body.secret;

    // A tenant secret: created, a new version, revealed (the reveal is designated).
    const secret = await send('POST', `${base}/secrets`, {
      json: { name: 'SCAN_TOKEN', kind: 'api-key', environment: 'staging', value: fresh('secret-value') },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    known.secretId = secret.body.id;
    const version = await send('POST', `${base}/secrets/${known.secretId}/versions`, {
      json: { value: fresh('secret-value-v2') },
    });
    assert.ok(version.status < 300, JSON.stringify(version.body));
    const revealed = await send('POST', `${base}/secrets/${known.secretId}/reveal`, { json: {}, designated: true });
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    assert.ok(JSON.stringify(revealed.body).includes(secrets['secret-value-v2']!), 'the reveal shows the value');

    // An SSO client secret the API refuses (nothing answers at the issuer): not echoed either.
    // Single sign-on is the enterprise plan's (the `sso` feature).
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenant.id]);
    const sso = await send('PUT', `${base}/sso`, {
      json: { issuer: 'https://127.0.0.1:9/', clientId: 'scan', clientSecret: fresh('sso-client-secret') },
    });
    assert.equal(sso.status, 422, JSON.stringify(sso.body));
  });

  it('rotates a tenant secret, the database login and both signing keyrings', async () => {
    const base = `/api/v1/tenants/${tenant.slug}`;
    /** Every version's value of a secret store entry's `field`, read from the store itself. */
    const storedValues = async (label: string, path: string, field: string) => {
      const metadata = await store.metadata(path);
      assert.ok(metadata, `${path} is in the secret store`);
      for (const { version } of metadata.versions) {
        const value = (await store.read(path, { version }))?.data[field];
        if (value) secrets[`${label} v${version}`] = value;
      }
    };
    const signingKeys = async (purpose: SigningKeyPurpose) => {
      const keyring = await readSigningKeyring(store, signingKeyringPath(platform.taskQueue, purpose));
      assert.ok(keyring, `the ${purpose} keyring is in the secret store`);
      for (const key of keyring.keys) {
        secrets[`${purpose} key ${key.kid} (PEM)`] = key.privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, '');
        secrets[`${purpose} key ${key.kid} (JWK d)`] = createPrivateKey(key.privateKeyPem).export({ format: 'jwk' }).d!;
      }
      return keyring.keys.find((key) => key.state === 'current')!;
    };

    // A tenant secret, rotated now: the new value goes to its consumer's verify hook.
    const secret = await send('POST', `${base}/secrets`, {
      json: {
        name: 'SCAN_ROTATED',
        kind: 'generic',
        environment: 'staging',
        value: fresh('rotated-secret-v1'),
        consumers: ['app'],
      },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    const secretId = secret.body.id as string;
    const settings = await send('PUT', `${base}/secrets/${secretId}/rotation-settings`, {
      json: {
        generator: { alphabet: 'base64url', length: 40 },
        verifyHooks: { app: consumers.url('scan-app') },
        overlap: '1s',
      },
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const rotation = await send('POST', `${base}/secrets/${secretId}/rotations`, { json: {} });
    assert.equal(rotation.status, 202, JSON.stringify(rotation.body));
    rotationWorkflows.push(rotation.body.operation.workflowId);
    await waitFor(`the rotation of ${secretId}`, async () => {
      const report = await send('GET', `${base}/secrets/${secretId}/rotations/1`);
      return report.body?.status === 'completed' ? true : undefined;
    });
    await send('GET', `/api/v1/operations/${encodeURIComponent(rotation.body.operation.workflowId)}`);
    await storedValues('rotated secret', tenantSecretPath(tenant.slug, secretId), 'value');
    assert.ok(secrets['rotated secret v2'], 'the rotation made a second version');
    assert.equal(consumers.state('scan-app').current, secrets['rotated secret v2'], 'the hook got the new value');

    // The tenant's database login, rotated by the platform admin.
    await storedValues('database password', tenantDatabaseSecretPath(tenant.slug), 'password');
    const login = await send('POST', `${base}/database-login/rotations`, { json: {}, headers: adminHeaders });
    assert.equal(login.status, 202, JSON.stringify(login.body));
    rotationWorkflows.push(login.body.operation.id);
    const loginDone = await waitForOperation(platform, login.body.operation.id);
    assert.equal(loginDone.status, 'completed', JSON.stringify(loginDone));
    await storedValues('database password', tenantDatabaseSecretPath(tenant.slug), 'password');
    assert.ok(Object.keys(secrets).filter((label) => label.startsWith('database password')).length >= 2);
    await send('GET', `${base}/database-login`, { headers: adminHeaders });
    await send('GET', `/api/v1/operations/${encodeURIComponent(login.body.operation.id)}`, { headers: adminHeaders });

    // Each signing keyring, access tokens last: their rotation retires the key the seeded tokens carry.
    for (const purpose of ['licenses', 'access-tokens'] as const) {
      const before = await signingKeys(purpose);
      const started = await send('POST', '/api/v1/admin/signing-keys/rotations', {
        json: { purpose },
        headers: adminHeaders,
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const workflowId = started.body.workflowId as string;
      rotationWorkflows.push(workflowId);
      await send('GET', `/api/v1/admin/signing-keys?purpose=${purpose}`, { headers: adminHeaders });
      const during = await signingKeys(purpose);
      await platform.temporal.workflow.getHandle(workflowId).result();
      const current = await signingKeys(purpose);
      assert.notEqual(current.kid, before.kid, `the ${purpose} keyring has a new current key`);
      assert.ok(during.kid === before.kid || during.kid === current.kid);
      if (purpose === 'access-tokens') {
        // The seeded tokens' key is gone: the owner and the admin get long-lived ones of the new key.
        const tokens = await createAccessTokens({
          privateKeyPem: current.privateKeyPem,
          issuer: 'atrium',
          audience: 'atrium-api',
          ttlMs: 3_600_000,
        });
        owner = {
          ...owner,
          headers: { authorization: `Bearer ${await tokens.sign({ userId: owner.userId, platformAdmin: false })}` },
        };
        adminHeaders = {
          authorization: `Bearer ${await tokens.sign({ userId: platform.admin.userId, platformAdmin: true })}`,
        };
      }
      const operation = await send('GET', `/api/v1/operations/${encodeURIComponent(workflowId)}`, {
        headers: adminHeaders,
      });
      assert.equal(operation.body.status, 'completed', JSON.stringify(operation.body));
      const overview = await send('GET', `/api/v1/admin/signing-keys?purpose=${purpose}`, { headers: adminHeaders });
      assert.equal(overview.status, 200, JSON.stringify(overview.body));
    }
    await send('GET', '/api/v1/admin/signing-keys', { headers: adminHeaders });
    await send('GET', '/api/v1/operations?limit=100', { headers: adminHeaders });
    assert.ok(
      Object.keys(secrets).filter((label) => / key .* \(JWK d\)$/.test(label)).length >= 4,
      'old and new keys of both keyrings',
    );
  });

  it('finds none of them in any answer but the one handing it out', async () => {
    // Every GET route of the document, for this tenant, as its owner (generated: a new route is read too).
    const reads = operationsOf(document).filter(
      (operation) =>
        operation.method === 'GET' &&
        operation.template !== '/api/v1/operations/{id}/events' && // an event stream: it never ends
        (operation.template.startsWith('/api/v1/tenants/{slug}') || operation.pathParams.length === 0),
    );
    for (const operation of reads) {
      const pathValues = Object.fromEntries(
        operation.pathParams.map((parameter) => [
          parameter.name,
          plausiblePathValue(parameter, { ...known, slug: tenant.slug, userId: owner.userId }),
        ]),
      );
      const response = await fetch(new URL(urlOf(operation, { pathValues, query: {} }), platform.baseUrl), {
        headers: owner.headers,
        signal: AbortSignal.timeout(30_000),
      });
      answers[`${describeOperation(operation)} (${response.status})`] = await response.text();
      assert.ok(response.status < 500, `${describeOperation(operation)}: ${response.status}`);
    }
    assert.deepEqual(findSecrets(answers), []);
  });

  it('finds none of them in the logs of the API and the worker', () => {
    const logs = { 'the API log': platform.api.output(), 'the worker log': platform.worker.output() };
    // The logs were read: the API logged this file's requests, the worker its tenant's provisioning.
    assert.ok(logs['the API log'].includes('/api-keys'), 'the API log holds the requests');
    assert.ok(logs['the worker log'].includes(tenant.id), 'the worker log holds the provisioning');
    assert.deepEqual(findSecrets(logs), []);
  });

  it('finds none of them in any workflow history', async () => {
    const queues = [...platform.taskQueues, platform.legacyTaskQueue].map((queue) => `"${queue}"`).join(', ');
    const histories: Record<string, string> = {};
    for await (const execution of platform.temporal.workflow.list({ query: `TaskQueue IN (${queues})` })) {
      const history = await platform.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories[`the history of ${execution.workflowId}`] = historyText(history);
    }
    // The rotations' histories are among them.
    assert.equal(rotationWorkflows.length, 4);
    for (const workflowId of rotationWorkflows)
      assert.ok(histories[`the history of ${workflowId}`], `the history of ${workflowId} was read`);
    // The payloads were read: the provisioning's input names the tenant.
    assert.ok(
      Object.values(histories).some((text) => text.includes(tenant.slug)),
      'the histories hold the tenant',
    );
    assert.deepEqual(findSecrets(histories), []);
  });

  it('finds none of them in plain text in any table', async () => {
    const tables = await platform.database.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    // Among them the audit log and the event outbox, holding the rotations' entries and events.
    const [entries] = await platform.database.query<{ audit: number; events: number }>(
      `SELECT (SELECT count(*) FROM audit_log WHERE action LIKE '%rotat%' OR action LIKE 'signing_key.%')::int AS audit,
              (SELECT count(*) FROM event_outbox WHERE type IN ('secret.rotated', 'database_login.rotated'))::int AS events`,
    );
    assert.ok(entries!.audit > 0 && entries!.events >= 2, JSON.stringify(entries));
    assert.ok(['audit_log', 'event_outbox'].every((name) => tables.some((table) => table.tablename === name)));
    // One pass over each table for every secret: each row is turned into text once.
    const found: string[] = [];
    const [labels, values] = [Object.keys(secrets), Object.values(secrets)];
    for (const { tablename } of tables) {
      const rows = await platform.database.query<{ what: string }>(
        `SELECT DISTINCT v.what FROM "${tablename}" t
           CROSS JOIN LATERAL (SELECT to_jsonb(t)::text AS text) serialized
           JOIN unnest($1::text[], $2::text[]) AS v(what, value) ON strpos(serialized.text, v.value) > 0`,
        [labels, values],
      );
      for (const { what } of rows) found.push(`${what} in table ${tablename}`);
    }
    assert.deepEqual(found, []);
  });

  /** Which secret appears in which place. */
  function findSecrets(places: Record<string, string>): string[] {
    // The ten of the API's own use, and at least two secret values, two passwords and eight
    // key forms (two keys of each keyring, each as PEM and as JWK) from the rotations.
    assert.ok(Object.keys(secrets).length >= 22, `the secrets were made: ${Object.keys(secrets).join(', ')}`);
    const found: string[] = [];
    for (const [place, text] of Object.entries(places))
      for (const [what, value] of Object.entries(secrets))
        if (value && text.includes(value)) found.push(`${what} in ${place}`);
    return found;
  }
});

/** A history as text, its payloads (bytes in the protobuf objects) decoded as UTF-8. */
function historyText(history: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}
