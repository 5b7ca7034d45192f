// The secret scan: every secret this file creates or sends through the API — passwords (right,
// wrong and changed), a session's tokens, an API key, webhook signing secrets (created and
// rotated), tenant secret values (two versions), an SSO client secret the API refuses — must
// appear nowhere but in the one answer that hands it out (a creation, a rotation, a sign-in, a
// reveal): not in the API's or the worker's log, not in any workflow history of the platform
// (payloads decoded), not in any other answer — including every GET route of the OpenAPI
// document, generated, read for the tenant as its owner — and not in plain text in any table.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { OpenApiDocument } from '../support/openapi-cases.ts';
import { describeOperation, operationsOf, plausiblePathValue, urlOf } from '../support/openapi-cases.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

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
    platform = await startPlatform();
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
    await platform?.stop();
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
    const found: string[] = [];
    for (const [what, value] of Object.entries(secrets))
      for (const { tablename } of tables) {
        const [row] = await platform.database.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${tablename}" t WHERE strpos(to_jsonb(t)::text, $1) > 0`,
          [value],
        );
        if (row!.n > 0) found.push(`${what} in table ${tablename}`);
      }
    assert.deepEqual(found, []);
  });

  /** Which secret appears in which place. */
  function findSecrets(places: Record<string, string>): string[] {
    assert.ok(Object.keys(secrets).length >= 10, `the secrets were made: ${Object.keys(secrets).join(', ')}`);
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
