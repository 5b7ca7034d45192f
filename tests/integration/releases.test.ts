// Releases (issue 14): numbered per tenant, images by digest, immutable, audited, behind the
// plan's promotions feature.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;

describe('releases', () => {
  let platform: Platform;
  const tenants: Record<'team' | 'free', { slug: string; id: string }> = {} as never;
  let owner: TestUser;

  before(async () => {
    platform = await startPlatform();
    owner = await seedUser(platform.database, { email: 'owner@releases.test' });
    for (const plan of ['team', 'free'] as const) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(plan), name: plan, plan, ownerEmail: `${plan}@releases.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      tenants[plan] = created.body.tenant;
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        created.body.tenant.id,
        owner.userId,
      ]);
    }
  });
  after(async () => {
    await platform?.stop();
  });

  const create = (slug: string, json: unknown, headers: Record<string, string> = {}) =>
    request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/releases`, {
      headers: { ...owner.headers, ...headers },
      json,
    });

  it('numbers releases per tenant, lists them newest first and audits each', async () => {
    const slug = tenants.team.slug;
    const first = await create(slug, {
      image: `registry.test/shop/web@${DIGEST('a')}`,
      configurationVersion: 'c1',
      notes: 'first',
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.number, 1);
    assert.equal(first.headers.get('location'), `/api/v1/tenants/${slug}/releases/1`);
    const second = await create(slug, { image: `registry.test:5000/shop/web:v2@${DIGEST('b')}` });
    assert.equal(second.body.number, 2);
    assert.equal(second.body.configurationVersion, null);

    const list = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/releases`, { headers: owner.headers });
    assert.deepEqual(
      list.body.items.map((r: { number: number }) => r.number),
      [2, 1],
    );
    const one = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/releases/1`, {
      headers: owner.headers,
    });
    assert.equal(one.body.image, `registry.test/shop/web@${DIGEST('a')}`);
    assert.equal(one.body.notes, 'first');
    const missing = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/releases/7`, {
      headers: owner.headers,
    });
    assert.equal(missing.status, 404);

    const audited = await platform.database.query<{ target_id: string }>(
      `SELECT target_id FROM audit_log WHERE tenant_id = $1 AND action = 'release.created' ORDER BY target_id`,
      [tenants.team.id],
    );
    assert.deepEqual(
      audited.map((r) => r.target_id),
      ['1', '2'],
    );
  });

  it('answers a repeated request with an Idempotency-Key with the same release', async () => {
    const slug = tenants.team.slug;
    const headers = { 'idempotency-key': 'release-once' };
    const a = await create(slug, { image: `registry.test/shop/api@${DIGEST('c')}` }, headers);
    const b = await create(slug, { image: `registry.test/shop/api@${DIGEST('c')}` }, headers);
    assert.equal(a.status, 201);
    assert.equal(b.body.number, a.body.number);
    const [counted] = await platform.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM releases WHERE tenant_id = $1`,
      [tenants.team.id],
    );
    assert.equal(counted?.count, a.body.number);
  });

  it('refuses an image without a digest, naming the field, and records nothing', async () => {
    const slug = tenants.team.slug;
    for (const image of ['registry.test/shop/web:latest', 'shop/web@sha256:abc', 'Shop/Web@' + DIGEST('a')]) {
      const refused = await create(slug, { image });
      assert.equal(refused.status, 422, image);
      assert.equal(refused.body.errors[0].path, 'image', image);
    }
    const extra = await create(slug, { image: `a/b@${DIGEST('d')}`, unknown: 1 });
    assert.ok([400, 422].includes(extra.status));
    const [counted] = await platform.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM releases WHERE tenant_id = $1 AND image NOT LIKE '%@sha256:%'`,
      [tenants.team.id],
    );
    assert.equal(counted?.count, 0);
  });

  it('is refused on a plan without the promotions feature', async () => {
    const refused = await create(tenants.free.slug, { image: `registry.test/shop/web@${DIGEST('a')}` });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.type, 'urn:atrium:problem:plan-feature-missing');
    const [counted] = await platform.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM releases WHERE tenant_id = $1`,
      [tenants.free.id],
    );
    assert.equal(counted?.count, 0);
  });

  it('is immutable: the application role may neither update nor delete a release', async () => {
    const [grants] = await platform.database.query(
      `SELECT has_table_privilege('atrium_app', 'releases', 'UPDATE') AS u,
              has_table_privilege('atrium_app', 'releases', 'DELETE') AS d,
              has_table_privilege('atrium_app', 'releases', 'INSERT') AS i`,
    );
    assert.deepEqual(grants, { u: false, d: false, i: true });
  });

  it('checks a promotion at the API, and without a cluster records it succeeded with the reason', async () => {
    const slug = tenants.team.slug;
    const promotions = (environment: string) => `/api/v1/tenants/${slug}/environments/${environment}/promotions`;
    const free = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenants.free.slug}/environments/production/promotions`,
      {
        headers: owner.headers,
        json: { release: 1 },
      },
    );
    assert.equal(free.status, 403);
    assert.equal(free.body.type, 'urn:atrium:problem:plan-feature-missing');
    const nowhere = await request(platform.baseUrl, 'POST', promotions('nowhere'), {
      headers: owner.headers,
      json: { release: 1 },
    });
    assert.equal(nowhere.status, 404);
    const unknown = await request(platform.baseUrl, 'POST', promotions('production'), {
      headers: owner.headers,
      json: { release: 999 },
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.errors[0].path, 'release');

    const qa = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/environments`, {
      headers: owner.headers,
      json: { name: 'qa', protection: { deployRoles: ['admin'] } },
    });
    assert.equal(qa.status, 202, JSON.stringify(qa.body));
    await waitForOperation(platform, qa.body.operation.id);
    const refused = await request(platform.baseUrl, 'POST', promotions('qa'), {
      headers: owner.headers,
      json: { release: 1 },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /may not deploy to "qa"/);
    const opened = await request(platform.baseUrl, 'PATCH', `/api/v1/tenants/${slug}/environments/qa`, {
      headers: owner.headers,
      json: { protection: { deployRoles: ['owner', 'admin'] } },
    });
    assert.equal(opened.status, 200, JSON.stringify(opened.body));

    const started = await request(platform.baseUrl, 'POST', promotions('qa'), {
      headers: owner.headers,
      json: { release: 1 },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.operation.id, `promotion/${slug}/qa/1`);
    const operation = await waitForOperation(platform, started.body.operation.id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const list = await request(platform.baseUrl, 'GET', promotions('qa'), { headers: owner.headers });
    assert.equal(list.body.items[0].status, 'succeeded');
    assert.match(list.body.items[0].detail, /no cluster configured/);
    const [audited] = await platform.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM audit_log WHERE tenant_id = $1 AND action LIKE 'promotion.%'`,
      [tenants.team.id],
    );
    assert.equal(audited?.count, 3, 'requested, deploying, succeeded');
  });
});
