// Suspending and reactivating a tenant over HTTP, against the real Temporal dev server and
// PostgreSQL (embedded defaults: no cluster, so the workload step reports "skipped"):
// only platform admins may; suspension closes the tenant's API to members and API keys
// with a 403 naming the reason, revokes the sessions its SSO started, and is numbered;
// reactivation reverses it; both are idempotent and audited.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('tenant suspension and reactivation', () => {
  let platform: Platform;
  let slug: string;
  let tenantId: string;
  let owner: TestUser;
  let outsider: TestUser;
  let apiKey: string;

  before(async () => {
    platform = await startPlatform();
    slug = uniqueSlug('susp');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Suspend Co', ownerEmail: 'owner@susp.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    tenantId = created.body.tenant.id;
    owner = await seedUser(platform.database, { email: 'owner@susp.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@susp.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenantId,
      owner.userId,
    ]);
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/api-keys`, {
      headers: owner.headers,
      json: { name: 'ci', role: 'developer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    apiKey = key.body.key;
  });
  after(async () => {
    await platform?.stop();
  });

  const as = (headers: Record<string, string>, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers, ...(json === undefined ? {} : { json }) });
  const keyHeaders = () => ({ authorization: `Bearer ${apiKey}` });
  const tenantPath = () => `/api/v1/tenants/${slug}`;

  it('lets only platform admins suspend, with a reason', async () => {
    const byOwner = await as(owner.headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(byOwner.status, 403);
    const byOutsider = await as(outsider.headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(byOutsider.status, 404);
    const byKey = await as(keyHeaders(), 'POST', `${tenantPath()}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(byKey.status, 403);
    const noReason = await as(platform.admin.headers, 'POST', `${tenantPath()}/suspend`, { reason: ' ' });
    assert.equal(noReason.status, 422);
    assert.equal(noReason.body.errors[0].path, 'reason');
    const extra = await as(platform.admin.headers, 'POST', `${tenantPath()}/reactivate`, { force: true });
    assert.equal(extra.status, 422);
    const notSuspended = await as(platform.admin.headers, 'POST', `${tenantPath()}/reactivate`, {});
    assert.equal(notSuspended.status, 409);
    const rows = await platform.database.query(`SELECT 1 FROM tenant_suspensions WHERE tenant_id = $1`, [tenantId]);
    assert.equal(rows.length, 0);
  });

  it('suspends: the API closes to members and keys with the reason; SSO sessions are revoked', async () => {
    // A session that came through the tenant's single sign-on (its refresh-token family).
    await platform.database.query(
      `INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at, sso_tenant_id)
       VALUES ($1::uuid, $2, $3, now() + interval '1 day', $4)`,
      [randomUUID(), owner.userId, createHash('sha256').update(randomBytes(8)).digest(), tenantId],
    );

    const headers = { ...platform.admin.headers, 'idempotency-key': `suspend-${slug}` };
    const started = await as(headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.operation.id, `tenant-suspend/${slug}/1`);
    assert.equal(started.body.operation.kind, 'tenant-suspend');
    const repeated = await as(headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Unpaid invoices' });
    assert.equal(repeated.status, 202);
    assert.equal(repeated.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(repeated.body, started.body);

    const operation = await waitForOperation(platform, started.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, started.body.operation.id, 'suspend-tenant-completed');
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['block', 'completed'],
        ['sessions', 'completed'],
        ['workloads', 'skipped'],
        ['schedules', 'skipped'],
      ],
    );
    assert.match(operation.steps[2].error, /no cluster configured/);

    for (const who of [owner.headers, keyHeaders()]) {
      const refused = await as(who, 'GET', `${tenantPath()}/members`);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.type, 'urn:atrium:problem:tenant-suspended');
      assert.match(refused.body.detail, /suspended: Unpaid invoices/);
    }
    assert.equal((await as(outsider.headers, 'GET', `${tenantPath()}/members`)).status, 404);
    const read = await as(platform.admin.headers, 'GET', tenantPath());
    assert.equal(read.body.status, 'suspended');

    const [family] = await platform.database.query<{ revoked_reason: string | null }>(
      `SELECT revoked_reason FROM refresh_tokens WHERE sso_tenant_id = $1`,
      [tenantId],
    );
    assert.equal(family?.revoked_reason, 'tenant_suspended');
    const [suspension] = await platform.database.query<{ sessions_revoked: number; workloads_skipped: string }>(
      `SELECT sessions_revoked, workloads_skipped FROM tenant_suspensions WHERE tenant_id = $1 AND number = 1`,
      [tenantId],
    );
    assert.equal(suspension?.sessions_revoked, 1);
    assert.match(suspension?.workloads_skipped ?? '', /no cluster/);

    const again = await as(platform.admin.headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Again' });
    assert.equal(again.status, 409);

    const listed = await as(
      platform.admin.headers,
      'GET',
      `/api/v1/operations?tenantId=${tenantId}&kind=tenant-suspend`,
    );
    assert.deepEqual(
      listed.body.items.map((o: { id: string }) => o.id),
      [`tenant-suspend/${slug}/1`],
    );
  });

  it('reactivates: reverses the suspension, and the next one is numbered 2', async () => {
    const started = await as(platform.admin.headers, 'POST', `${tenantPath()}/reactivate`, {});
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.operation.id, `tenant-reactivate/${slug}/1`);
    const operation = await waitForOperation(platform, started.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    await recordHistory(platform.temporal, started.body.operation.id, 'reactivate-tenant-completed');
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['workloads', 'skipped'],
        ['unblock', 'completed'],
        ['webhooks', 'completed'],
        ['schedules', 'skipped'],
      ],
    );
    assert.equal((await as(owner.headers, 'GET', `${tenantPath()}/members`)).status, 200);
    assert.equal((await as(keyHeaders(), 'GET', `${tenantPath()}/members`)).status, 200);
    assert.equal((await as(platform.admin.headers, 'GET', tenantPath())).body.status, 'active');

    const audit = await platform.database.query<{ action: string; after: { reason?: string } | null }>(
      `SELECT action, after FROM audit_log WHERE tenant_id = $1 AND action IN ('tenant.suspended', 'tenant.sessions_revoked', 'tenant.reactivated') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      audit.map((a) => a.action),
      ['tenant.suspended', 'tenant.sessions_revoked', 'tenant.reactivated'],
    );
    assert.equal(audit[0]?.after?.reason, 'Unpaid invoices');

    const second = await as(platform.admin.headers, 'POST', `${tenantPath()}/suspend`, { reason: 'Abuse report' });
    assert.equal(second.status, 202);
    assert.equal(second.body.operation.id, `tenant-suspend/${slug}/2`);
    await waitForOperation(platform, second.body.operation.id);
    const refused = await as(owner.headers, 'GET', tenantPath());
    assert.match(refused.body.detail, /Abuse report/);
  });
});
