// API keys over HTTP: created and shown once, stored hashed, used as a Bearer token on the
// key's tenant with the key's role, last use recorded, expiry and revocation refused with
// 401, another tenant's routes 404, platform routes refused, and the role × permission
// matrix of the key routes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ROLE_PERMISSIONS } from '../../api/auth/permissions.ts';
import type { Role } from '../../contracts/members.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('API keys', () => {
  let platform: Platform;
  let slug: string;
  let otherSlug: string;
  const people: Partial<Record<Role | 'outsider', TestUser>> = {};

  async function provision(prefix: string): Promise<{ slug: string; id: string }> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      // The team plan: the free plan's two API keys would stop the test's many keys.
      json: { slug: uniqueSlug(prefix), name: prefix, plan: 'team', ownerEmail: `${prefix}@keys.test` },
    });
    await waitForOperation(platform, created.body.operation.id);
    return { slug: created.body.tenant.slug, id: created.body.tenant.id };
  }

  before(async () => {
    platform = await startPlatform();
    const tenant = await provision('keys');
    const other = await provision('elsewhere');
    slug = tenant.slug;
    otherSlug = other.slug;
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@keys.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenant.id,
        people[role].userId,
        role,
      ]);
    }
    people.outsider = await seedUser(platform.database, { email: 'outsider@keys.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      other.id,
      people.outsider.userId,
    ]);
  });
  after(async () => {
    await platform?.stop();
  });

  const keysPath = (s = slug) => `/api/v1/tenants/${s}/api-keys`;
  const as = (who: TestUser | string, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, {
      headers: typeof who === 'string' ? { authorization: `Bearer ${who}` } : who.headers,
      ...(json === undefined ? {} : { json }),
    });
  const create = (who: TestUser, json: Record<string, unknown>) => as(who, 'POST', keysPath(), json);

  it('shows a new key once, keeps only its hash, and lists it by prefix', async () => {
    const created = await create(people.owner!, { name: 'CI deploys', role: 'developer' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { key, apiKey } = created.body;
    assert.match(key, /^atr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.split('_')[1], apiKey.prefix);
    // The 43 characters after `atr_<prefix>_` (base64url: they may contain "_" themselves).
    const secret = key.slice('atr_'.length + 12 + 1);
    assert.equal(secret.length, 43);
    assert.equal(apiKey.createdBy, 'owner@keys.test');
    const [row] = await platform.database.query<{ secret_hash: Buffer }>(
      `SELECT secret_hash FROM api_keys WHERE id = $1`,
      [apiKey.id],
    );
    assert.deepEqual(row?.secret_hash, createHash('sha256').update(key).digest());
    const stored = JSON.stringify(await platform.database.query(`SELECT * FROM api_keys`));
    assert.ok(!stored.includes(secret), 'the secret part is stored nowhere');

    const listed = await as(people.developer!, 'GET', keysPath());
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.body).includes(secret), 'lists never show the key');
    assert.equal(listed.body.items.find((k: { id: string }) => k.id === apiKey.id).prefix, apiKey.prefix);

    const audit = await platform.database.query<{ after: Record<string, unknown> }>(
      `SELECT after FROM audit_log WHERE action = 'api_key.created' AND target_id = $1`,
      [apiKey.id],
    );
    assert.equal(audit.length, 1);
    assert.ok(!JSON.stringify(audit).includes(secret));
  });

  it("works as a Bearer token on its tenant's routes with its role, and records its last use", async () => {
    const { body } = await create(people.admin!, { name: 'reader', role: 'viewer' });
    const key: string = body.key;
    const members = await as(key, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(members.status, 200);
    const me = await as(key, 'GET', `/api/v1/tenants/${slug}/members/me`);
    assert.equal(me.body.role, 'viewer');
    // A viewer key may not manage members or read the audit log.
    assert.equal((await as(key, 'GET', `/api/v1/tenants/${slug}/audit-log`)).status, 403);
    assert.equal((await as(key, 'DELETE', `/api/v1/tenants/${slug}/members/${people.viewer!.userId}`)).status, 403);
    const [used] = await platform.database.query<{ last_used_at: Date | null }>(
      `SELECT last_used_at FROM api_keys WHERE id = $1`,
      [body.apiKey.id],
    );
    assert.ok(used?.last_used_at, 'last use recorded');
  });

  it("answers another tenant's routes 404 and platform routes 401, changing nothing", async () => {
    const { body } = await create(people.owner!, { name: 'owner key', role: 'owner' });
    const key: string = body.key;
    for (const path of [
      `/api/v1/tenants/${otherSlug}/members`,
      keysPath(otherSlug),
      `/api/v1/tenants/${otherSlug}/audit-log`,
    ]) {
      const response = await as(key, 'GET', path);
      assert.equal(response.status, 404, path);
    }
    const createElsewhere = await as(key, 'POST', keysPath(otherSlug), { name: 'x', role: 'viewer' });
    assert.equal(createElsewhere.status, 404);
    const own = await as(key, 'GET', `/api/v1/tenants/${slug}`);
    assert.equal(own.status, 200, 'a key reads its own tenant');
    const listed = await as(key, 'GET', '/api/v1/tenants');
    assert.deepEqual(
      listed.body.items.map((t: { slug: string }) => t.slug),
      [slug],
    );
    assert.equal((await as(key, 'GET', `/api/v1/tenants/${otherSlug}`)).status, 404);
    const createTenant = await as(key, 'POST', '/api/v1/tenants', {
      slug: uniqueSlug('by-key'),
      name: 'K',
      ownerEmail: 'k@keys.test',
    });
    assert.equal(createTenant.status, 403);
    for (const path of ['/api/v1/operations', '/api/v1/me']) {
      const response = await as(key, 'GET', path);
      assert.equal(response.status, 401, path);
      assert.match(response.body.detail, /API keys work on the routes of their tenant/);
    }
    // Operator access is for people: a key gets no Temporal token and no Temporal UI.
    assert.equal((await as(key, 'POST', '/api/v1/operators/me/temporal-token')).status, 401);
    assert.equal((await as(key, 'GET', '/ops/temporal/api/v1/namespaces/default/workflows')).status, 401);
    const keys = await platform.database.query(`SELECT 1 FROM api_keys WHERE name = 'x'`);
    assert.equal(keys.length, 0);
  });

  it('cannot create or revoke keys itself', async () => {
    const { body } = await create(people.owner!, { name: 'powerful', role: 'owner' });
    const response = await as(body.key, 'POST', keysPath(), { name: 'minted', role: 'owner' });
    assert.equal(response.status, 403);
    assert.equal((await as(body.key, 'DELETE', `${keysPath()}/${body.apiKey.id}`)).status, 403);
  });

  it('refuses revoked and expired keys with 401 saying which', async () => {
    const revoked = await create(people.owner!, { name: 'to revoke', role: 'viewer' });
    assert.equal((await as(people.admin!, 'DELETE', `${keysPath()}/${revoked.body.apiKey.id}`)).status, 204);
    assert.equal(
      (await as(people.admin!, 'DELETE', `${keysPath()}/${revoked.body.apiKey.id}`)).status,
      204,
      'idempotent',
    );
    const afterRevoke = await as(revoked.body.key, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(afterRevoke.status, 401);
    assert.match(afterRevoke.body.detail, /was revoked/);
    const audit = await platform.database.query(
      `SELECT 1 FROM audit_log WHERE action = 'api_key.revoked' AND target_id = $1`,
      [revoked.body.apiKey.id],
    );
    assert.equal(audit.length, 1, 'one entry, though revoked twice');

    const soon = await create(people.owner!, {
      name: 'short-lived',
      role: 'viewer',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    assert.equal(soon.status, 201);
    await platform.database.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      soon.body.apiKey.id,
    ]);
    const expired = await as(soon.body.key, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(expired.status, 401);
    assert.match(expired.body.detail, /has expired/);

    const forged = `${soon.body.key.slice(0, -4)}AAAA`;
    const wrong = await as(forged, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.detail, /no such API key/);
  });

  // On a tenant's route the key is looked up by the tenant check's own statement
  // (api/auth/require-auth.ts): a bad key must still be a 401 before anything else is decided.
  it('refuses a bad key with 401 on every kind of route, whatever the path names', async () => {
    const revoked = await create(people.owner!, { name: 'revoked everywhere', role: 'owner' });
    assert.equal((await as(people.owner!, 'DELETE', `${keysPath()}/${revoked.body.apiKey.id}`)).status, 204);
    const unknown = `atr_${'0'.repeat(12)}_${'A'.repeat(43)}`;
    for (const key of [revoked.body.key as string, unknown]) {
      for (const [method, path, body] of [
        ['GET', `/api/v1/tenants/${slug}/members`], // a read in the tenant's scope
        ['GET', `/api/v1/tenants/${slug}/members/me`], // a permission check
        ['GET', `/api/v1/tenants/${slug}`],
        ['POST', keysPath(), { name: 'never', role: 'viewer' }], // a change
        ['GET', `/api/v1/tenants/${otherSlug}/members`], // another tenant
        ['GET', `/api/v1/tenants/no-such-tenant-here/members`], // no tenant
        ['GET', `/api/v1/tenants/Not_A_Slug/members`], // a slug no tenant can have
        ['GET', `/api/v1/tenants/${'x'.repeat(41)}/members`], // a slug the route refuses
        ['GET', `/api/v1/tenants/${'x'.repeat(41)}`],
        ['GET', '/api/v1/tenants'], // not a tenant's route
      ] as const) {
        const response = await as(key, method, path, body);
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.match(response.body.detail, key === unknown ? /no such API key/ : /was revoked/, path);
      }
    }
    assert.equal((await platform.database.query(`SELECT 1 FROM api_keys WHERE name = 'never'`)).length, 0);
  });

  it('validates input: names the field, never writes half a key', async () => {
    const before = (await platform.database.query(`SELECT count(*)::int AS n FROM api_keys`))[0];
    for (const [json, path, status] of [
      [{ name: '', role: 'viewer' }, 'name', 422],
      [{ name: 'x', role: 'superuser' }, 'role', 422],
      [{ name: 'x', role: 'viewer', expiresAt: 'tomorrow' }, 'expiresAt', 422],
      [{ name: 'x', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt', 422],
      [{ name: 'x', role: 'viewer', extra: true }, 'extra', 422],
      [{ name: 'CI deploys', role: 'viewer' }, 'name', 409],
    ] as const) {
      const response = await create(people.owner!, json);
      assert.equal(response.status, status, JSON.stringify(json));
      assert.ok(
        response.body.errors.some((e: { path: string }) => e.path === path),
        JSON.stringify(response.body),
      );
    }
    const tooStrong = await create(people.admin!, { name: 'escalate', role: 'owner' });
    assert.equal(tooStrong.status, 403);
    assert.deepEqual(
      tooStrong.body.errors.map((e: { path: string }) => e.path),
      ['role'],
    );
    const afterCount = (await platform.database.query(`SELECT count(*)::int AS n FROM api_keys`))[0];
    assert.deepEqual(afterCount, before);
  });

  it('lets each role do exactly what the permission matrix says on the key routes; outsiders get 404', async () => {
    const target = await create(people.owner!, { name: 'matrix target', role: 'viewer' });
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      const checks = [
        { permission: 'apikeys.read', response: await as(people[role]!, 'GET', keysPath()), ok: 200 },
        {
          permission: 'apikeys.manage',
          response: await as(people[role]!, 'POST', keysPath(), { name: `by ${role}`, role: 'viewer' }),
          ok: 201,
        },
        {
          permission: 'apikeys.manage',
          response: await as(people[role]!, 'DELETE', `${keysPath()}/${target.body.apiKey.id}`),
          ok: 204,
        },
      ] as const;
      for (const { permission, response, ok } of checks) {
        const expected = ROLE_PERMISSIONS[role].includes(permission) ? ok : 403;
        assert.equal(response.status, expected, `${role} ${permission}: ${JSON.stringify(response.body)}`);
      }
    }
    for (const [method, path, json] of [
      ['GET', keysPath(), undefined],
      ['POST', keysPath(), { name: 'outsider key', role: 'viewer' }],
      ['DELETE', `${keysPath()}/${target.body.apiKey.id}`, undefined],
    ] as const) {
      const response = await as(people.outsider!, method, path, json);
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    assert.equal((await platform.database.query(`SELECT 1 FROM api_keys WHERE name = 'outsider key'`)).length, 0);
  });
});
