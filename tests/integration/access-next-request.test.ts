// A change to who may do what counts on the very next request: the access check reads the
// tenant, the membership, SSO and the suspension in one statement per request and caches
// nothing (issue 12). Each case changes access through the API, then asks again at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('access changes take effect on the next request', () => {
  let platform: Platform;
  let owner: TestUser;
  let member: TestUser;
  let slug: string;
  let tenantId: string;

  before(async () => {
    platform = await startPlatform();
    owner = await seedUser(platform.database, { email: 'owner@next-request.test' });
    member = await seedUser(platform.database, { email: 'member@next-request.test' });
    slug = uniqueSlug('next');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Next Request', ownerEmail: 'owner@next-request.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    tenantId = created.body.tenant.id;
    await waitForOperation(platform, created.body.operation.id);
    // Written directly: how members arrive is not what this file is about.
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner'), ($1, $3, 'viewer')
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [tenantId, owner.userId, member.userId],
    );
  });
  after(async () => {
    await platform?.stop();
  });

  const as = (headers: Record<string, string>, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers, ...(json === undefined ? {} : { json }) });
  const tenantPath = () => `/api/v1/tenants/${slug}`;
  const keyHeaders = (key: string) => ({ authorization: `Bearer ${key}` });

  it('a role change: refused before, allowed on the next request, refused again after the change back', async () => {
    // The audit log needs audit.read: admins have it, viewers do not.
    const auditLog = `${tenantPath()}/audit-log`;
    assert.equal((await as(member.headers, 'GET', auditLog)).status, 403);
    const promote = await as(owner.headers, 'PATCH', `${tenantPath()}/members/${member.userId}`, { role: 'admin' });
    assert.equal(promote.status, 204, JSON.stringify(promote.body));
    assert.equal((await as(member.headers, 'GET', auditLog)).status, 200);
    const demote = await as(owner.headers, 'PATCH', `${tenantPath()}/members/${member.userId}`, { role: 'viewer' });
    assert.equal(demote.status, 204, JSON.stringify(demote.body));
    assert.equal((await as(member.headers, 'GET', auditLog)).status, 403);
  });

  it('a revoked API key is refused on the next request', async () => {
    const created = await as(owner.headers, 'POST', `${tenantPath()}/api-keys`, { name: 'next', role: 'viewer' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = keyHeaders(created.body.key);
    assert.equal((await as(key, 'GET', `${tenantPath()}/members`)).status, 200);
    const revoked = await as(owner.headers, 'DELETE', `${tenantPath()}/api-keys/${created.body.apiKey.id}`);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    const refused = await as(key, 'GET', `${tenantPath()}/members`);
    assert.equal(refused.status, 401);
    assert.match(refused.body.detail, /revoked/);
  });

  it('a removed member gets 404 on the next request, as an outsider does', async () => {
    assert.equal((await as(member.headers, 'GET', tenantPath())).status, 200);
    const removed = await as(owner.headers, 'DELETE', `${tenantPath()}/members/${member.userId}`);
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    const refused = await as(member.headers, 'GET', tenantPath());
    assert.equal(refused.status, 404);
    assert.equal(refused.body.type, 'urn:atrium:problem:not-found');
  });

  it('a suspension closes the tenant to its members and keys on the next request, with the reason', async () => {
    const created = await as(owner.headers, 'POST', `${tenantPath()}/api-keys`, { name: 'before', role: 'viewer' });
    const key = keyHeaders(created.body.key);
    assert.equal((await as(owner.headers, 'GET', `${tenantPath()}/members`)).status, 200);
    assert.equal((await as(key, 'GET', `${tenantPath()}/members`)).status, 200);
    const suspended = await as(platform.admin.headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Next request' });
    assert.equal(suspended.status, 202, JSON.stringify(suspended.body));
    await waitForOperation(platform, suspended.body.operation.id);
    for (const headers of [owner.headers, key]) {
      const refused = await as(headers, 'GET', `${tenantPath()}/members`);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.type, 'urn:atrium:problem:tenant-suspended');
      assert.match(refused.body.detail, /suspended: Next request/);
    }
    // Platform admins still read it (they repair tenants), and see it suspended.
    const read = await as(platform.admin.headers, 'GET', tenantPath());
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'suspended');
  });
});
