// Sign-in and tenant boundaries on the platform-level routes (/api/v1/tenants and
// /api/v1/operations): anonymous callers get 401, members see only their own tenants and
// operations, outsiders get 404 exactly as for something that does not exist, and only
// platform admins create tenants for someone else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { readEventStream } from '../support/sse.ts';

describe('platform routes: sign-in and tenant boundaries', () => {
  let platform: Platform;
  let member: TestUser;
  let outsider: TestUser;
  let slug: string;
  let tenantId: string;
  let operationId: string;

  before(async () => {
    platform = await startPlatform();
    member = await seedUser(platform.database, { email: 'member@access.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@access.test' });
    slug = uniqueSlug('access');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Access Co', ownerEmail: 'owner@access.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    tenantId = created.body.tenant.id;
    operationId = created.body.operation.id;
    await waitForOperation(platform, operationId);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      tenantId,
      member.userId,
    ]);
  });
  after(async () => {
    await platform?.stop();
  });

  const routes = () => [
    ['GET', '/api/v1/tenants'],
    ['POST', '/api/v1/tenants'],
    ['GET', `/api/v1/tenants/${slug}`],
    ['GET', '/api/v1/operations'],
    ['GET', operationPath(operationId)],
    ['GET', `${operationPath(operationId)}/events`],
    ['PUT', `/api/v1/operators/${member.userId}`],
    ['POST', '/api/v1/operators/me/temporal-token'],
    // The Temporal UI's API behind Atrium: API calls get the 401 (pages go to /login).
    ['GET', '/ops/temporal/api/v1/namespaces/default/workflows'],
    ['POST', `/ops/temporal/api/v1/namespaces/default/workflows/${encodeURIComponent(operationId)}/terminate`],
  ];

  it('answers 401 problems to anonymous callers on every platform route', async () => {
    for (const [method, path] of routes()) {
      const response = await request(platform.baseUrl, method as string, path as string, {
        json: method === 'POST' ? { slug: uniqueSlug('anon'), name: 'Anon', ownerEmail: 'a@anon.test' } : undefined,
      });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.body.type, 'urn:atrium:problem:unauthenticated');
    }
    const tenants = await platform.database.query(`SELECT 1 FROM tenants WHERE name = 'Anon'`);
    assert.equal(tenants.length, 0, 'nothing was created');
  });

  it('shows members their own tenants and operations only', async () => {
    const mine = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: member.headers });
    assert.deepEqual(
      mine.body.items.map((t: { slug: string }) => t.slug),
      [slug],
    );
    const theirs = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: outsider.headers });
    assert.deepEqual(theirs.body.items, []);

    // A viewer may read the tenant but not its operations (operations.read is developer and up).
    assert.equal(
      (await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}`, { headers: member.headers })).status,
      200,
    );
    const operation = await request(platform.baseUrl, 'GET', operationPath(operationId), { headers: member.headers });
    assert.equal(operation.status, 403);
    const listed = await request(platform.baseUrl, 'GET', `/api/v1/operations?tenantId=${tenantId}`, {
      headers: member.headers,
    });
    assert.deepEqual(listed.body.items, []);

    await platform.database.query(`UPDATE memberships SET role = 'developer' WHERE user_id = $1`, [member.userId]);
    const allowed = await request(platform.baseUrl, 'GET', operationPath(operationId), { headers: member.headers });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.tenantId, tenantId);
    const own = await request(platform.baseUrl, 'GET', '/api/v1/operations', { headers: member.headers });
    assert.deepEqual(
      own.body.items.map((o: { id: string }) => o.id),
      [operationId],
    );
    const events = await readEventStream(new URL(`${operationPath(operationId)}/events`, platform.baseUrl).toString(), {
      headers: member.headers,
    });
    assert.equal(events.at(-1)?.event, 'end');
  });

  it('answers outsiders 404 for another tenant and its operations, like for nothing at all', async () => {
    for (const path of [
      `/api/v1/tenants/${slug}`,
      operationPath(operationId),
      `${operationPath(operationId)}/events`,
    ]) {
      const response = await request(platform.baseUrl, 'GET', path, { headers: outsider.headers });
      assert.equal(response.status, 404, path);
      assert.equal(response.body.type, 'urn:atrium:problem:not-found');
    }
    const listed = await request(platform.baseUrl, 'GET', `/api/v1/operations?tenantId=${tenantId}`, {
      headers: outsider.headers,
    });
    assert.deepEqual(listed.body.items, []);
  });

  it('lets users create a tenant only for themselves; platform admins for anyone', async () => {
    const forSomeoneElse = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: outsider.headers,
      json: { slug: uniqueSlug('else'), name: 'Else', ownerEmail: 'someone@else.test' },
    });
    assert.equal(forSomeoneElse.status, 403);
    assert.deepEqual(forSomeoneElse.body.errors, [{ path: 'ownerEmail', message: 'Must be your own email address.' }]);

    const own = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: outsider.headers,
      json: { slug: uniqueSlug('own'), name: 'Own', ownerEmail: 'OUTSIDER@access.test' },
    });
    assert.equal(own.status, 202, JSON.stringify(own.body));
    await waitForOperation(platform, own.body.operation.id);
    // Provisioning made its creator (a verified account with that address) its owner.
    const mine = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${own.body.tenant.slug}/members/me`, {
      headers: outsider.headers,
    });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.equal(mine.body.role, 'owner');
  });

  it('keeps Idempotency-Key replays to the caller who sent the key', async () => {
    const key = `shared-${uniqueSlug('key')}`;
    const body = { slug: uniqueSlug('idem'), name: 'Idem', ownerEmail: 'outsider@access.test' };
    const first = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: { ...outsider.headers, 'Idempotency-Key': key },
      json: body,
    });
    assert.equal(first.status, 202);
    const sameKeyOtherCaller = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: { ...platform.admin.headers, 'Idempotency-Key': key },
      json: body,
    });
    assert.equal(sameKeyOtherCaller.headers.get('idempotent-replayed'), null);
    assert.equal(sameKeyOtherCaller.status, 409, 'a fresh request: the slug is taken');
    await waitForOperation(platform, first.body.operation.id);
  });
});
