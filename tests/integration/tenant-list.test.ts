// GET /api/v1/tenants filters and pages in SQL: newest first, an opaque keyset cursor that
// neither repeats nor skips a tenant (also among tenants created in the same microsecond,
// and while new tenants arrive), each caller's scope (platform admins all, members their
// own, an API key its tenant, outsiders nothing), and bad input as a problem naming the field.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Tenant, TenantListQuery } from '../../contracts/index.ts';
import { CreatedApiKey, TenantPage } from '../../contracts/index.ts';
import { ApiClient, expectOk, expectProblem } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('GET /api/v1/tenants: SQL filters and keyset pages', () => {
  let platform: Platform;
  let admin: ApiClient;
  let member: TestUser;
  let outsider: TestUser;
  /** Every seeded tenant's slug, in the order the list must show them. */
  let newestFirst: string[];
  const memberSlugs: string[] = [];
  let otherSlug: string;

  /** Tenant rows straight into the table: the list reads the table, not the workflows. */
  async function insertTenant(slug: string, fields: { name?: string; status?: string; createdAt?: string } = {}) {
    const id = randomUUID();
    await platform.database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email, created_at)
       VALUES ($1, $2, $3, 'team', $4, 'owner@list.test', $5)`,
      [
        id,
        slug,
        fields.name ?? `Tenant ${slug}`,
        fields.status ?? 'active',
        fields.createdAt ?? new Date().toISOString(),
      ],
    );
    return id;
  }

  async function everyPage(client: ApiClient, query: TenantListQuery & { limit: number }) {
    const pages: Tenant[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = expectOk(await client.listTenants({ ...query, cursor }), 200);
      assert.ok(page.items.length <= query.limit, `a page holds at most ${query.limit}`);
      pages.push(page.items);
      if (!page.nextCursor) return pages;
      cursor = page.nextCursor;
      assert.ok(pages.length < 50, 'the pages end');
    }
  }

  before(async () => {
    platform = await startPlatform();
    admin = new ApiClient(platform.baseUrl, platform.admin.headers);
    member = await seedUser(platform.database, { email: 'member@list.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@list.test' });
    // Twelve tenants over four instants, three created in each: ties are broken by id.
    const base = Date.parse('2026-03-01T12:00:00.123Z');
    for (let i = 0; i < 12; i += 1) {
      const createdAt = new Date(base + Math.floor(i / 3) * 60_000).toISOString().replace('Z', '456Z');
      const slug = `list-${String(i).padStart(2, '0')}`;
      const id = await insertTenant(slug, {
        name: i % 2 ? `Acme ${i}` : `Globex ${i}`,
        status: i % 4 === 3 ? 'suspended' : 'active',
        createdAt,
      });
      if (i % 3 === 0) {
        memberSlugs.push(slug);
        await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
          id,
          member.userId,
        ]);
      }
    }
    otherSlug = 'list-other';
    const otherId = await insertTenant(otherSlug, { name: 'Outsider Org' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      otherId,
      outsider.userId,
    ]);
    newestFirst = (
      await platform.database.query<{ slug: string }>(`SELECT slug FROM tenants ORDER BY created_at DESC, id DESC`)
    ).map((row) => row.slug);
  });
  after(async () => {
    await platform?.stop();
  });

  it('pages through every tenant newest first, with no duplicates or gaps', async () => {
    for (const limit of [1, 5, 13, 100]) {
      const pages = await everyPage(admin, { limit });
      const slugs = pages.flat().map((tenant) => tenant.slug);
      assert.deepEqual(slugs, newestFirst, `limit ${limit}`);
      assert.equal(new Set(slugs).size, slugs.length, 'no tenant twice');
      assert.equal(pages.length, Math.ceil(newestFirst.length / limit), `limit ${limit}: full pages until the last`);
      const created = pages.flat().map((tenant) => Date.parse(tenant.createdAt));
      assert.deepEqual(
        created,
        [...created].sort((a, b) => b - a),
        'newest first',
      );
    }
    // The default page is 50.
    assert.equal(expectOk(await admin.listTenants()).items.length, newestFirst.length);
  });

  it('keeps paging exactly while new tenants arrive', async () => {
    const first = expectOk(await admin.listTenants({ limit: 4 }));
    const arrived = await insertTenant('list-arrived');
    const rest = (await everyPage(admin, { limit: 4 }))
      .flat()
      .map((tenant) => tenant.slug)
      .filter((slug) => slug !== 'list-arrived');
    const fromCursor: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = expectOk(await admin.listTenants({ limit: 4, cursor }));
      fromCursor.push(...page.items.map((tenant) => tenant.slug));
      cursor = page.nextCursor;
    }
    assert.deepEqual([...first.items.map((tenant) => tenant.slug), ...fromCursor], newestFirst);
    assert.deepEqual(rest, newestFirst);
    await platform.database.query(`DELETE FROM tenants WHERE id = $1`, [arrived]);
  });

  it('filters by status and by the start of the slug or name, in every page', async () => {
    const suspended = (await everyPage(admin, { limit: 2, status: 'suspended' })).flat();
    assert.deepEqual(
      suspended.map((tenant) => tenant.slug),
      newestFirst.filter((slug) => ['list-03', 'list-07', 'list-11'].includes(slug)),
    );
    assert.ok(suspended.every((tenant) => tenant.status === 'suspended'));

    const acme = (await everyPage(admin, { limit: 2, q: 'aCmE' })).flat().map((tenant) => tenant.slug);
    assert.deepEqual(
      acme,
      newestFirst.filter((slug) => /^list-\d\d$/.test(slug) && Number(slug.slice(5)) % 2 === 1),
    );
    const bySlug = expectOk(await admin.listTenants({ q: 'list-1' })).items.map((tenant) => tenant.slug);
    // list-10 and list-11 were created in the same instant: their order is the ids'.
    assert.deepEqual(
      bySlug,
      newestFirst.filter((slug) => slug === 'list-10' || slug === 'list-11'),
    );
    // LIKE wildcards are searched for literally.
    assert.deepEqual(expectOk(await admin.listTenants({ q: 'list_' })).items, []);
    assert.deepEqual(expectOk(await admin.listTenants({ q: '%' })).items, []);
    const both = expectOk(await admin.listTenants({ q: 'globex', status: 'suspended' })).items;
    assert.deepEqual(both, []);
  });

  it('shows members only the tenants they belong to, paged', async () => {
    const mine = (await everyPage(admin.as(member.headers), { limit: 2 })).flat().map((tenant) => tenant.slug);
    assert.deepEqual(
      mine,
      newestFirst.filter((slug) => memberSlugs.includes(slug)),
    );
  });

  it("shows an outsider none of another tenant's rows, whatever the filter or cursor", async () => {
    const outsiderApi = admin.as(outsider.headers);
    assert.deepEqual(
      (await everyPage(outsiderApi, { limit: 5 })).flat().map((tenant) => tenant.slug),
      [otherSlug],
    );
    assert.deepEqual(expectOk(await outsiderApi.listTenants({ q: 'list-0' })).items, []);
    // A cursor taken from the admin's list does not widen what the outsider sees.
    const adminPage = expectOk(await admin.listTenants({ limit: 1 }));
    const after = expectOk(await outsiderApi.listTenants({ cursor: adminPage.nextCursor ?? undefined }));
    assert.ok(after.items.every((tenant) => tenant.slug === otherSlug));
    // Signed in as nobody at all: nothing.
    const nobody = await seedUser(platform.database, { email: 'nobody@list.test' });
    assert.deepEqual(expectOk(await admin.as(nobody.headers).listTenants()), { items: [], nextCursor: null });
  });

  it('shows an API key its own tenant only', async () => {
    const owner = await seedUser(platform.database, { email: 'key-owner@list.test' });
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) SELECT id, $2, 'owner' FROM tenants WHERE slug = $1`,
      ['list-05', owner.userId],
    );
    const created = expectOk(
      await admin
        .as(owner.headers)
        .send(CreatedApiKey, 'POST', '/api/v1/tenants/list-05/api-keys', { json: { name: 'lister', role: 'viewer' } }),
      201,
    );
    const keyApi = admin.as({ authorization: `Bearer ${created.key}` });
    assert.deepEqual(
      expectOk(await keyApi.listTenants()).items.map((tenant) => tenant.slug),
      ['list-05'],
    );
    assert.deepEqual(expectOk(await keyApi.listTenants({ q: 'list-06' })).items, []);
    assert.deepEqual(expectOk(await keyApi.listTenants({ status: 'suspended' })).items, []);
    const adminCursor = expectOk(await admin.listTenants({ limit: 1 })).nextCursor ?? undefined;
    assert.deepEqual(
      expectOk(await keyApi.listTenants({ cursor: adminCursor })).items.map((tenant) => tenant.slug),
      ['list-05'],
    );
  });

  it('answers bad cursors, limits and filters with a 422 naming the field, never a 500', async () => {
    const cases: Array<[string, string]> = [
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('t:12:not-a-uuid').toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from(`t:99999999999999999999:${randomUUID()}`).toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from(`a:1`).toString('base64url')}`, 'cursor'],
      ['cursor=', 'cursor'],
      ['cursor=%00', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['status=gone', 'status'],
      ['q=', 'q'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['sort=name', 'sort'],
    ];
    for (const [query, field] of cases) {
      const answer = await admin.send(TenantPage, 'GET', `/api/v1/tenants?${query}`);
      const problem = expectProblem(answer, 422);
      assert.equal(problem.type, 'urn:atrium:problem:validation-failed', query);
      assert.deepEqual(
        problem.errors?.map((error) => error.path),
        [field],
        `${query}: ${JSON.stringify(problem)}`,
      );
    }
  });
});
