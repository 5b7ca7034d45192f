// The audit log's query and export API over HTTP: filters, cursor paging across pages,
// CSV and JSON exports that hold every matching entry, and the tenant boundary (only
// audit.read, outsiders 404).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('audit log API', () => {
  let platform: Platform;
  let owner: TestUser;
  let viewer: TestUser;
  let outsider: TestUser;
  let slug: string;
  let tenantId: string;
  let otherTenantId: string;
  const base = () => `/api/v1/tenants/${slug}/audit-log`;

  async function provision(prefix: string): Promise<{ slug: string; id: string }> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug(prefix), name: prefix, ownerEmail: `${prefix}@audit-api.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    return { slug: created.body.tenant.slug, id: created.body.tenant.id };
  }

  before(async () => {
    platform = await startPlatform();
    ({ slug, id: tenantId } = await provision('audited'));
    ({ id: otherTenantId } = await provision('other'));
    owner = await seedUser(platform.database, { email: 'owner@audit-api.test' });
    viewer = await seedUser(platform.database, { email: 'viewer@audit-api.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@audit-api.test' });
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner'), ($1, $3, 'viewer'), ($4, $5, 'owner')`,
      [tenantId, owner.userId, viewer.userId, otherTenantId, outsider.userId],
    );
    // 120 entries of our own: 60 by the owner on members, 60 by the system on schemas,
    // with values that need escaping in CSV; and a few of another tenant's.
    await platform.database.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, after)
       SELECT $1, CASE WHEN n % 2 = 0 THEN 'user' ELSE 'system' END,
              CASE WHEN n % 2 = 0 THEN $2 ELSE NULL END,
              CASE WHEN n % 2 = 0 THEN 'member.role_changed' ELSE 'tenant.schema_checked' END,
              CASE WHEN n % 2 = 0 THEN 'membership' ELSE 'schema' END,
              'target-' || (n % 3),
              jsonb_build_object('note', 'line one' || chr(10) || 'has "quotes", commas', 'formula', '=1+1', 'n', n)
       FROM generate_series(1, 120) AS n`,
      [tenantId, owner.userId],
    );
    await platform.database.query(
      `INSERT INTO audit_log (tenant_id, actor_type, action, target_type) SELECT $1, 'system', 'tenant.secret_other', 'x' FROM generate_series(1, 5)`,
      [otherTenantId],
    );
  });
  after(async () => {
    await platform?.stop();
  });

  const get = (path: string, who: TestUser = owner) => request(platform.baseUrl, 'GET', path, { headers: who.headers });
  const raw = (path: string, who: TestUser = owner) => fetch(new URL(path, platform.baseUrl), { headers: who.headers });

  it('pages through every entry by cursor, newest first, with no repeats or gaps', async () => {
    const total = Number(
      (
        await platform.database.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE tenant_id = $1`, [
          tenantId,
        ])
      )[0]!.n,
    );
    assert.ok(total > 120);
    const ids: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`${base()}?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      ids.push(...page.body.items.map((e: { id: string }) => Number(e.id)));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    assert.equal(pages, Math.ceil(total / 50), `total ${total}, ids ${ids.length}`);
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
  });

  it('filters by action (exact or prefix), actor, target and time', async () => {
    const byAction = await get(`${base()}?action=member.role_changed&limit=200`);
    assert.equal(byAction.body.items.length, 60);
    assert.ok(byAction.body.items.every((e: { action: string }) => e.action === 'member.role_changed'));
    const byPrefix = await get(`${base()}?action=tenant.&limit=200`);
    assert.ok(byPrefix.body.items.length >= 60);
    assert.ok(byPrefix.body.items.every((e: { action: string }) => e.action.startsWith('tenant.')));
    const byActor = await get(`${base()}?actor=${owner.userId}&limit=200`);
    assert.equal(byActor.body.items.length, 60);
    const byTarget = await get(`${base()}?targetType=membership&targetId=target-0&limit=200`);
    assert.equal(byTarget.body.items.length, 20);
    const future = await get(`${base()}?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    assert.deepEqual(future.body.items, []);
    const entry = byActor.body.items[0];
    assert.equal(entry.actor.id, owner.userId);
    assert.equal(entry.after.formula, '=1+1');
  });

  it('answers bad parameters with 422 problems naming the parameter', async () => {
    for (const [query, path] of [
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['from=yesterday', 'from'],
      ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'to'],
      ['action=DROP TABLE', 'action'],
      ['surprise=1', 'surprise'],
    ] as const) {
      const response = await get(`${base()}?${query}`);
      assert.equal(response.status, 422, query);
      assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.ok(
        response.body.errors.some((e: { path: string }) => e.path === path),
        `${query}: ${JSON.stringify(response.body.errors)}`,
      );
    }
  });

  it('exports every matching entry as CSV, escaped and safe to open in a spreadsheet', async () => {
    const response = await raw(`${base()}/export?format=csv&action=member.role_changed`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(
      response.headers.get('content-disposition') ?? '',
      new RegExp(`attachment; filename="audit-log-${slug}-\\d{4}-\\d{2}-\\d{2}\\.csv"`),
    );
    const text = await response.text();
    assert.ok(
      text.startsWith('id,occurred_at,actor_type,actor_id,action,target_type,target_id,request_id,ip,before,after\r\n'),
    );
    const records = parseCsv(text);
    assert.equal(records.length, 61, 'the header and 60 entries');
    const after = JSON.parse(records[1]![10]!.replace(/^'/, '')) as { note: string; formula: string };
    assert.equal(after.note, 'line one\nhas "quotes", commas', 'quotes, commas and newlines survive');
    assert.ok(!records.some((r) => r.some((field) => /^[=+@]/.test(field))), 'no field starts like a formula');
  });

  it('exports as a JSON array equal to what the pages show', async () => {
    const response = await raw(`${base()}/export?format=json`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const exported = (await response.json()) as Array<{ id: string }>;
    const pages: Array<{ id: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await get(`${base()}?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(exported, pages);
    const empty = await raw(`${base()}/export?format=json&action=nothing.matches`);
    assert.deepEqual(await empty.json(), []);
  });

  it('needs audit.read: viewers 403, outsiders and anonymous callers get 404 and 401', async () => {
    for (const path of [base(), `${base()}/export`]) {
      assert.equal((await get(path, viewer)).status, 403, path);
      const outside = await get(path, outsider);
      assert.equal(outside.status, 404, path);
      assert.equal(outside.body.type, 'urn:atrium:problem:not-found');
      assert.equal((await request(platform.baseUrl, 'GET', path)).status, 401, path);
      assert.equal((await raw(path, platform.admin)).status, 200, `${path} as a platform admin`);
    }
    const others = await get(`${base()}?action=tenant.secret_other`);
    assert.deepEqual(others.body.items, [], "another tenant's entries never show");
  });

  // Runs last: it adds entries the counts above do not expect.
  it('names each actor: a user by display name and email, an API key by its name; others by nothing', async () => {
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/api-keys`, {
      headers: owner.headers,
      json: { name: 'Nightly export', role: 'viewer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    // Another tenant's key: the lookup stays in this tenant's scope, so its name never shows.
    const [otherKey] = await platform.database.query<{ id: string }>(
      `INSERT INTO api_keys (tenant_id, name, prefix, secret_hash, role) VALUES ($1, 'Other tenant key', 'a1b2c3d4e5f6', '\\x00', 'viewer') RETURNING id`,
      [otherTenantId],
    );
    await platform.database.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type) VALUES
         ($1, 'api_key', $2, 'actor_test.by_key', 'x'),
         ($1, 'api_key', $3, 'actor_test.by_other_key', 'x'),
         ($1, 'user', 'not-a-uuid', 'actor_test.by_odd_id', 'x'),
         ($1, 'user', $4, 'actor_test.by_nobody', 'x'),
         ($1, 'system', NULL, 'actor_test.by_system', 'x')`,
      [tenantId, key.body.apiKey.id, otherKey!.id, '00000000-0000-4000-8000-000000000000'],
    );
    const actorOf = async (action: string) => {
      const page = await get(`${base()}?action=${action}&limit=1`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return page.body.items[0].actor;
    };
    assert.deepEqual(await actorOf('member.role_changed'), {
      type: 'user',
      id: owner.userId,
      displayName: 'owner',
      email: 'owner@audit-api.test',
    });
    assert.deepEqual(await actorOf('actor_test.by_key'), {
      type: 'api_key',
      id: key.body.apiKey.id,
      displayName: 'Nightly export',
      email: null,
    });
    for (const action of ['actor_test.by_other_key', 'actor_test.by_odd_id', 'actor_test.by_nobody'])
      assert.deepEqual(
        { displayName: (await actorOf(action)).displayName, email: (await actorOf(action)).email },
        { displayName: null, email: null },
        action,
      );
    assert.deepEqual(await actorOf('actor_test.by_system'), {
      type: 'system',
      id: null,
      displayName: null,
      email: null,
    });
  });
});

/** A small RFC 4180 reader for the test (quoted fields, doubled quotes, CRLF rows). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}
