// Tenant members and authorization through the HTTP API: every role against every
// members route as the permission matrix says, outsiders get 404 and change nothing,
// the last owner stays, and changes are audited.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ROLE_PERMISSIONS } from '../../api/auth/permissions.ts';
import type { Permission } from '../../contracts/members.ts';
import { createDataSource } from '../../db/data-source.ts';
import type { Role } from '../../contracts/members.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

const PASSWORD = 'members-test-password';

describe('members and authorization', () => {
  let platform: Platform;
  let slugA: string;
  let slugB: string;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    platform = await startPlatform();
    slugA = await provision('alpha');
    slugB = await provision('beta');
    const owner = createDataSource({
      url: platform.database.ownerUrl,
      applicationName: 'atrium-test-seed',
      poolSize: 1,
    });
    await owner.initialize();
    const people: Array<[string, string | null, Role | null, boolean]> = [
      ['owner', slugA, 'owner', false],
      ['admin', slugA, 'admin', false],
      ['developer', slugA, 'developer', false],
      ['viewer', slugA, 'viewer', false],
      ['outsider', slugB, 'owner', false],
      ['staff', null, null, true],
    ];
    for (const [name, slug, role, platformAdmin] of people) {
      ids[name] = (await createUserIfAbsent(owner, {
        email: `${name}@members.test`,
        displayName: name,
        password: PASSWORD,
        isPlatformAdmin: platformAdmin,
      })) as string;
      if (slug && role) {
        await owner.query(
          `INSERT INTO memberships (tenant_id, user_id, role) SELECT id, $2, $3 FROM tenants WHERE slug = $1`,
          [slug, ids[name], role],
        );
      }
      const session = await request(platform.baseUrl, 'POST', '/api/v1/auth/login', {
        json: { email: `${name}@members.test`, password: PASSWORD },
      });
      assert.equal(session.status, 200);
      tokens[name] = session.body.accessToken;
    }
    await owner.destroy();
  });
  after(async () => {
    await platform?.stop();
  });

  async function provision(prefix: string): Promise<string> {
    const slug = uniqueSlug(prefix);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: prefix, ownerEmail: `${prefix}@members.test` },
    });
    await waitForOperation(platform, created.body.operation.id);
    return slug;
  }

  const call = (who: string | null, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, {
      ...(json === undefined ? {} : { json }),
      headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
    });

  /** Every members route, with a request that succeeds (or 404s on a missing member) when allowed. */
  const routes = (
    slug: string,
  ): Array<{ permission: Permission; method: string; path: string; json?: unknown; allowed: number[] }> => [
    { permission: 'members.read', method: 'GET', path: `/api/v1/tenants/${slug}/members`, allowed: [200] },
    {
      permission: 'members.manage',
      method: 'PATCH',
      path: `/api/v1/tenants/${slug}/members/${ids.viewer}`,
      json: { role: 'viewer' },
      allowed: [204],
    },
    {
      permission: 'members.manage',
      method: 'DELETE',
      path: `/api/v1/tenants/${slug}/members/${randomUUID()}`,
      allowed: [404],
    },
  ];

  it('lets each role do exactly what the permission matrix says', async () => {
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      for (const route of routes(slugA)) {
        const response = await call(role, route.method, route.path, route.json);
        const expected = ROLE_PERMISSIONS[role].includes(route.permission) ? route.allowed : [403];
        assert.ok(
          expected.includes(response.status),
          `${role} ${route.method} ${route.path}: ${response.status} ${JSON.stringify(response.body)}`,
        );
        if (response.status === 403) assert.equal(response.body.type, 'urn:atrium:problem:forbidden');
      }
    }
  });

  it('answers outsiders with 404 on every members route, and changes nothing', async () => {
    const before = await call('owner', 'GET', `/api/v1/tenants/${slugA}/members`);
    const outsiderRoutes = [
      ...routes(slugA),
      { method: 'PATCH', path: `/api/v1/tenants/${slugA}/members/${ids.owner}`, json: { role: 'viewer' } },
      { method: 'DELETE', path: `/api/v1/tenants/${slugA}/members/${ids.owner}` },
    ];
    for (const route of outsiderRoutes) {
      const response = await call('outsider', route.method, route.path, route.json);
      assert.equal(response.status, 404, `${route.method} ${route.path}`);
      assert.equal(
        response.body.detail,
        `No tenant "${slugA}".`,
        'the same answer as for a tenant that does not exist',
      );
    }
    const missing = await call('outsider', 'GET', '/api/v1/tenants/no-such-tenant/members');
    assert.equal(missing.body.detail, 'No tenant "no-such-tenant".');
    assert.deepEqual((await call('owner', 'GET', `/api/v1/tenants/${slugA}/members`)).body, before.body);
  });

  it('asks for a token first', async () => {
    const response = await call(null, 'GET', `/api/v1/tenants/${slugA}/members`);
    assert.equal(response.status, 401);
  });

  it('lets platform admins in without a membership', async () => {
    const response = await call('staff', 'GET', `/api/v1/tenants/${slugB}/members`);
    assert.equal(response.status, 200);
    assert.deepEqual(
      response.body.items.map((m: any) => [m.email, m.role]),
      [['outsider@members.test', 'owner']],
    );
  });

  it('keeps the last owner, and leaves owners to owners', async () => {
    const demoteSelf = await call('owner', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.owner}`, { role: 'admin' });
    assert.equal(demoteSelf.status, 409);
    assert.equal(demoteSelf.body.errors[0].path, 'userId');
    const removeSelf = await call('owner', 'DELETE', `/api/v1/tenants/${slugA}/members/${ids.owner}`);
    assert.equal(removeSelf.status, 409);

    const adminDemotesOwner = await call('admin', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.owner}`, {
      role: 'viewer',
    });
    assert.equal(adminDemotesOwner.status, 403);
    const adminPromotes = await call('admin', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.developer}`, {
      role: 'owner',
    });
    assert.equal(adminPromotes.status, 403);

    assert.equal(
      (await call('owner', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.admin}`, { role: 'owner' })).status,
      204,
    );
    assert.equal(
      (await call('owner', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.owner}`, { role: 'admin' })).status,
      204,
    );
    const members = await call('admin', 'GET', `/api/v1/tenants/${slugA}/members`);
    assert.deepEqual(Object.fromEntries(members.body.items.map((m: any) => [m.email, m.role])), {
      'owner@members.test': 'admin',
      'admin@members.test': 'owner',
      'developer@members.test': 'developer',
      'viewer@members.test': 'viewer',
    });
  });

  it('removes a member, and audits role changes and removals', async () => {
    assert.equal((await call('owner', 'DELETE', `/api/v1/tenants/${slugA}/members/${ids.viewer}`)).status, 204);
    const audited = await platform.database.query(
      `SELECT action, actor_id, target_id, before, after FROM audit_log
       WHERE action IN ('member.role_changed', 'member.removed') ORDER BY id`,
    );
    assert.deepEqual(
      audited.map((e: any) => [e.action, e.actor_id, e.target_id, e.before?.role, e.after?.role]),
      [
        ['member.role_changed', ids.owner, ids.admin, 'admin', 'owner'],
        ['member.role_changed', ids.owner, ids.owner, 'owner', 'admin'],
        ['member.removed', ids.owner, ids.viewer, 'viewer', undefined],
      ],
    );
  });

  it('tells each caller its own role and what it allows, and outsiders nothing', async () => {
    for (const who of ['developer', 'staff'] as const) {
      const slug = who === 'staff' ? slugB : slugA;
      const response = await call(who, 'GET', `/api/v1/tenants/${slug}/members/me`);
      assert.equal(response.status, 200, `${who}: ${JSON.stringify(response.body)}`);
      const role = who === 'staff' ? 'admin' : 'developer';
      assert.deepEqual(response.body, { role, permissions: ROLE_PERMISSIONS[role] });
    }
    assert.equal((await call('outsider', 'GET', `/api/v1/tenants/${slugA}/members/me`)).status, 404);
    assert.equal((await call(null, 'GET', `/api/v1/tenants/${slugA}/members/me`)).status, 401);
  });

  it('answers bad input with 422 naming the field', async () => {
    const badRole = await call('admin', 'PATCH', `/api/v1/tenants/${slugA}/members/${ids.developer}`, { role: 'god' });
    assert.equal(badRole.status, 422);
    assert.equal(badRole.body.errors[0].path, 'role');
    const badId = await call('admin', 'DELETE', `/api/v1/tenants/${slugA}/members/not-a-uuid`);
    assert.equal(badId.status, 422);
    assert.equal(badId.body.errors[0].path, 'userId');
  });
});
