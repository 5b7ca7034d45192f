// Webhook endpoints through the real API, as in production (no OUTBOUND_ALLOW_LOOPBACK, no
// WEBHOOK_ALLOW_INSECURE_URLS): register with event types and a description, the signing
// secret shown once and kept in the secret store only (never in plain text in PostgreSQL);
// rotate with a grace period; disable, enable, change, delete; each change audited. Refused
// with a 422 naming the field: unknown event types, http:// URLs, loopback, private and
// metadata addresses, credentials in the URL. Another tenant's endpoint is a 404; roles as
// the permission matrix says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhookEndpoint, WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

// A public address given literally: the guard accepts it without a DNS lookup (nothing is
// called when registering).
const PUBLIC_URL = 'https://93.184.215.14/atrium/events';

describe('webhook endpoints', () => {
  let platform: Platform;
  const tenants: Array<{ id: string; slug: string }> = [];
  const people: Record<string, TestUser> = {};

  before(async () => {
    platform = await startPlatform();
    for (const prefix of ['hooks', 'other']) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(prefix), name: prefix, ownerEmail: `${prefix}@hooks.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      tenants.push(created.body.tenant);
    }
    const members: Array<[string, number, string]> = [
      ['admin', 0, 'admin'],
      ['developer', 0, 'developer'],
      ['viewer', 0, 'viewer'],
      ['outsider', 1, 'owner'],
    ];
    for (const [name, tenant, role] of members) {
      people[name] = await seedUser(platform.database, { email: `${name}@hooks.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenants[tenant]!.id,
        people[name].userId,
        role,
      ]);
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const hooks = (tenant = 0) => `/api/v1/tenants/${tenants[tenant]!.slug}/webhooks`;
  const as = (who: TestUser, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: who.headers, ...(json === undefined ? {} : { json }) });
  const auditOf = (endpointId: string) =>
    platform.database.query<{ action: string; actor_id: string; before: any; after: any }>(
      `SELECT action, actor_id, before, after FROM audit_log WHERE target_type = 'webhook_endpoint' AND target_id = $1 ORDER BY id`,
      [endpointId],
    );
  /** Every row of every table of the public schema that contains `text` (as JSON). */
  async function tablesHolding(text: string): Promise<string[]> {
    const tables = await platform.database.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    const holding: string[] = [];
    for (const { tablename } of tables) {
      const [row] = await platform.database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${tablename}" t WHERE strpos(to_jsonb(t)::text, $1) > 0`,
        [text],
      );
      if (row!.n > 0) holding.push(tablename);
    }
    return holding;
  }
  async function create(body: Record<string, unknown> = {}) {
    const created = await as(people.admin!, 'POST', hooks(), {
      url: PUBLIC_URL,
      description: 'CRM sync',
      eventTypes: ['member.joined', 'member.removed'],
      ...body,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return WebhookEndpointWithSecret.parse(created.body);
  }

  it('registers an endpoint: the secret shown once, kept in the secret store only, audited', async () => {
    const { endpoint, secret } = await create();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(
      [endpoint.url, endpoint.description, endpoint.eventTypes, endpoint.status, endpoint.previousSecretExpiresAt],
      [PUBLIC_URL, 'CRM sync', ['member.joined', 'member.removed'], 'enabled', null],
    );
    assert.deepEqual(await tablesHolding(secret.slice('whsec_'.length)), [], 'the secret is nowhere in plain text');
    const [stored] = await platform.database.query<{ secret_path: string; secret_version: number }>(
      `SELECT secret_path, secret_version FROM webhook_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    assert.deepEqual(stored, { secret_path: `tenants/${tenants[0]!.slug}/webhooks/${endpoint.id}`, secret_version: 1 });
    const versions = await platform.database.query(`SELECT version FROM local_secrets WHERE path = $1`, [
      stored.secret_path,
    ]);
    assert.equal(versions.length, 1, 'the secret store holds it');
    const listed = await as(people.developer!, 'GET', hooks());
    assert.equal(listed.status, 200);
    const item = listed.body.items.find((e: WebhookEndpoint) => e.id === endpoint.id);
    assert.deepEqual(WebhookEndpoint.parse(item), endpoint);
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'lists never show the secret');
    const audit = await auditOf(endpoint.id);
    assert.deepEqual(
      audit.map((e) => [e.action, e.actor_id]),
      [['webhook_endpoint.created', people.admin!.userId]],
    );
    assert.ok(!JSON.stringify(audit).includes(secret), 'nor does the audit log');
  });

  it('refuses unknown event types, http://, loopback, private and metadata addresses, naming the field', async () => {
    const refused = async (body: Record<string, unknown>, path: string, message: RegExp) => {
      const before = await platform.database.query(`SELECT count(*)::int AS n FROM webhook_endpoints`);
      const answer = await as(people.admin!, 'POST', hooks(), {
        url: PUBLIC_URL,
        eventTypes: ['member.joined'],
        ...body,
      });
      assert.equal(answer.status, 422, JSON.stringify(answer.body));
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const error = answer.body.errors.find((e: { path: string }) => e.path === path);
      assert.ok(error, `names ${path}: ${JSON.stringify(answer.body)}`);
      assert.match(error.message, message);
      assert.deepEqual(
        await platform.database.query(`SELECT count(*)::int AS n FROM webhook_endpoints`),
        before,
        'nothing saved',
      );
    };
    await refused({ eventTypes: ['member.joined', 'member.exploded'] }, 'eventTypes.1', /not an event type/);
    await refused({ eventTypes: [] }, 'eventTypes', /at least one/);
    await refused({ url: 'http://93.184.215.14/hook' }, 'url', /https/);
    await refused({ url: 'https://127.0.0.1/hook' }, 'url', /127\.0\.0\.1 is a loopback address/);
    await refused({ url: 'https://localhost:8443/hook' }, 'url', /localhost resolves to .*a loopback address/);
    await refused({ url: 'https://10.1.2.3/hook' }, 'url', /10\.1\.2\.3 is a private address/);
    await refused({ url: 'https://169.254.169.254/latest' }, 'url', /metadata/);
    await refused({ url: 'https://metadata.google.internal/' }, 'url', /cloud metadata/);
    await refused({ url: 'https://user:pw@93.184.215.14/hook' }, 'url', /user name or password/);
    await refused({ url: 'ftp://93.184.215.14/hook' }, 'url', /https/);
  });

  it('disables, enables and changes an endpoint, audited; a refused change changes nothing', async () => {
    const { endpoint } = await create();
    const path = `${hooks()}/${endpoint.id}`;
    const disabled = await as(people.admin!, 'PATCH', path, { enabled: false });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.deepEqual([disabled.body.status, disabled.body.disabledReason], ['disabled', 'disabled by a member']);
    const enabled = await as(people.admin!, 'PATCH', path, { enabled: true });
    assert.deepEqual([enabled.body.status, enabled.body.disabledReason], ['enabled', null]);
    const changed = await as(people.admin!, 'PATCH', path, {
      description: 'billing',
      eventTypes: ['api_key.created'],
    });
    assert.deepEqual([changed.body.description, changed.body.eventTypes], ['billing', ['api_key.created']]);
    const same = await as(people.admin!, 'PATCH', path, { description: 'billing' });
    assert.equal(same.status, 200);
    const bad = await as(people.admin!, 'PATCH', path, { url: 'https://192.168.1.1/' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'url');
    const empty = await as(people.admin!, 'PATCH', path, {});
    assert.equal(empty.status, 422);
    const now = await as(people.developer!, 'GET', path);
    assert.equal(now.body.url, PUBLIC_URL, 'the refused URL was not saved');
    assert.deepEqual(
      (await auditOf(endpoint.id)).map((e) => e.action),
      ['webhook_endpoint.created', 'webhook_endpoint.disabled', 'webhook_endpoint.enabled', 'webhook_endpoint.updated'],
      'one entry per change, none for a change that changed nothing',
    );
  });

  it('rotates the secret: a new version, the previous one valid for the grace period', async () => {
    const { endpoint, secret } = await create();
    const path = `${hooks()}/${endpoint.id}/rotate-secret`;
    const tooLong = await as(people.admin!, 'POST', path, { gracePeriod: '30d' });
    assert.equal(tooLong.status, 422);
    assert.equal(tooLong.body.errors[0].path, 'gracePeriod');
    const asked = Date.now();
    const rotated = await as(people.admin!, 'POST', path, { gracePeriod: '1h' });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const body = WebhookEndpointWithSecret.parse(rotated.body);
    assert.notEqual(body.secret, secret);
    const expires = Date.parse(body.endpoint.previousSecretExpiresAt!);
    assert.ok(Math.abs(expires - (asked + 3_600_000)) < 60_000, body.endpoint.previousSecretExpiresAt!);
    const [row] = await platform.database.query(
      `SELECT secret_version, previous_secret_version FROM webhook_endpoints WHERE id = $1`,
      [endpoint.id],
    );
    assert.deepEqual(row, { secret_version: 2, previous_secret_version: 1 });
    assert.deepEqual(await tablesHolding(body.secret.slice('whsec_'.length)), []);
    const immediate = await as(people.admin!, 'POST', path, { gracePeriod: '0s' });
    assert.equal(immediate.body.endpoint.previousSecretExpiresAt, null, 'no grace: only the new secret');
    const audit = await auditOf(endpoint.id);
    assert.deepEqual(
      audit.slice(1).map((e) => [e.action, e.before.secretVersion, e.after.secretVersion]),
      [
        ['webhook_endpoint.secret_rotated', 1, 2],
        ['webhook_endpoint.secret_rotated', 2, 3],
      ],
    );
  });

  it('deletes an endpoint and its secret', async () => {
    const { endpoint } = await create();
    const path = `${hooks()}/${endpoint.id}`;
    assert.equal((await as(people.admin!, 'DELETE', path)).status, 204);
    assert.equal((await as(people.admin!, 'GET', path)).status, 404);
    assert.equal((await as(people.admin!, 'DELETE', path)).status, 404);
    const secrets = await platform.database.query(`SELECT 1 FROM local_secrets WHERE path = $1`, [
      `tenants/${tenants[0]!.slug}/webhooks/${endpoint.id}`,
    ]);
    assert.deepEqual(secrets, [], 'the secret is destroyed');
    assert.deepEqual(
      (await auditOf(endpoint.id)).map((e) => e.action),
      ['webhook_endpoint.created', 'webhook_endpoint.deleted'],
    );
  });

  it("answers 404 for another tenant's endpoint, and changes nothing", async () => {
    const { endpoint } = await create();
    const before = await platform.database.query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [endpoint.id]);
    // The outsider owns the other tenant and asks for this endpoint there, and in this tenant.
    for (const base of [hooks(1), hooks(0)]) {
      const path = `${base}/${endpoint.id}`;
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { enabled: false }],
        ['POST', {}],
        ['DELETE', undefined],
      ] as const) {
        const target = method === 'POST' ? `${path}/rotate-secret` : path;
        const answer = await as(people.outsider!, method, target, body);
        assert.equal(answer.status, 404, `${method} ${target}: ${JSON.stringify(answer.body)}`);
      }
    }
    const list = await as(people.outsider!, 'GET', hooks(1));
    assert.deepEqual(list.body.items, []);
    assert.deepEqual(
      await platform.database.query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [endpoint.id]),
      before,
    );
  });

  it('lets developers read and only owners and admins change', async () => {
    const { endpoint } = await create();
    const path = `${hooks()}/${endpoint.id}`;
    assert.equal((await as(people.developer!, 'GET', path)).status, 200);
    assert.equal((await as(people.developer!, 'PATCH', path, { enabled: false })).status, 403);
    assert.equal(
      (await as(people.developer!, 'POST', hooks(), { url: PUBLIC_URL, eventTypes: ['member.joined'] })).status,
      403,
    );
    assert.equal((await as(people.viewer!, 'GET', hooks())).status, 403);
    assert.equal((await as(people.viewer!, 'GET', path)).status, 403);
  });
});
