// Per-tenant rate limits by plan, shared by two API processes on one database: a free tenant
// limited to 12 requests a minute gets exactly 12 answers across both processes, then 429
// problems with Retry-After and the RateLimit headers; its API key shares the budget; another
// tenant, and platform admins, are not affected; an outsider's requests (404) spend nothing; a
// member's read of something that does not exist (404 inside the read) counts like any other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { jwtPrivateKey, startPlatform } from '../support/platform.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';
import type { ChildHandle } from '../support/processes.ts';
import { ENTRY_POINTS, startNodeProcess } from '../support/processes.ts';
import { testEnv } from '../support/env.ts';

const LIMIT = 12;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tenant rate limits, shared by two API processes', () => {
  let platform: Platform;
  let second: ChildHandle & { ready: RegExpMatchArray };
  let secondUrl: string;
  const tenants: Array<{ id: string; slug: string; owner: TestUser }> = [];

  before(async () => {
    const env = { TENANT_RATE_LIMITS: `free=${LIMIT}` };
    platform = await startPlatform({ env });
    second = await startNodeProcess(ENTRY_POINTS.api, {
      env: {
        DATABASE_URL: platform.database.url,
        TEMPORAL_ADDRESS: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
        TEMPORAL_TASK_QUEUE: platform.taskQueue,
        PORT: '0',
        PORTAL_MODE: 'off',
        JWT_PRIVATE_KEY: jwtPrivateKey,
        ...env,
      },
      readyWhen: /"url":"(http:\/\/[^"]+)"/,
    });
    secondUrl = second.ready[1] as string;
    for (const name of ['limited', 'neighbour', 'unknowns'])
      tenants.push(await provisionTenantWithOwner(platform, name));
  });
  after(async () => {
    await second?.stop();
    await platform?.stop();
  });

  it('admits exactly the plan’s requests across both processes, then answers 429 with the headers', async () => {
    const [limited, neighbour] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    // Each window is one minute: start well inside one, so the whole burst counts against it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await sleep(60_000 - intoMinute + 200);

    // An outsider (the neighbour's owner) is refused with 404 and spends none of the budget.
    for (let i = 0; i < 5; i += 1) {
      const outsider = await request(secondUrl, 'GET', `/api/v1/tenants/${limited.slug}`, {
        headers: neighbour.owner.headers,
      });
      assert.equal(outsider.status, 404);
      assert.equal(outsider.headers.get('ratelimit'), null, 'no budget shown to an outsider');
    }

    // A key of the limited tenant, made by its owner (that request counts too).
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${limited.slug}/api-keys`, {
      headers: limited.owner.headers,
      json: { name: 'integration', role: 'viewer' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const keyHeaders = { authorization: `Bearer ${created.body.key}` };

    // 20 more requests, alternating processes, routes (a scoped read and a checked route) and
    // credentials: with the key's creation, 12 are admitted.
    const answers = [];
    for (let i = 0; i < 20; i += 1) {
      const base = i % 2 === 0 ? platform.baseUrl : secondUrl;
      const path = i % 4 < 2 ? `/api/v1/tenants/${limited.slug}` : `/api/v1/tenants/${limited.slug}/members`;
      const headers = i % 3 === 0 ? keyHeaders : limited.owner.headers;
      answers.push(await request(base, 'GET', path, { headers }));
    }
    const admitted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    assert.equal(admitted.length, LIMIT - 1, answers.map((answer) => answer.status).join(' '));
    assert.equal(refused.length, 20 - (LIMIT - 1));
    assert.ok(
      answers.slice(0, LIMIT - 1).every((answer) => answer.status === 200),
      'the first ones are admitted',
    );

    for (const answer of admitted) {
      assert.equal(answer.headers.get('ratelimit-policy'), `${LIMIT};w=60`);
      assert.match(answer.headers.get('ratelimit') ?? '', new RegExp(`^limit=${LIMIT}, remaining=\\d+, reset=\\d+$`));
    }
    const last = admitted.at(-1)!;
    assert.match(last.headers.get('ratelimit') ?? '', /remaining=0,/);
    for (const answer of refused) {
      assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.match(answer.body.type, /rate-limited/);
      assert.equal(answer.body.status, 429);
      assert.match(answer.body.detail, new RegExp(`${LIMIT} requests a minute`));
      const retryAfter = Number(answer.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(
        answer.headers.get('ratelimit') ?? '',
        new RegExp(`^limit=${LIMIT}, remaining=0, reset=${retryAfter}$`),
      );
    }

    // The neighbour has its own budget; a platform admin repairs the limited tenant regardless.
    const other = await request(secondUrl, 'GET', `/api/v1/tenants/${neighbour.slug}`, {
      headers: neighbour.owner.headers,
    });
    assert.equal(other.status, 200);
    const admin = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${limited.slug}/members`, {
      headers: platform.admin.headers,
    });
    assert.equal(admin.status, 200);

    // The count is one row per tenant and window, readable only in the tenant's scope.
    const [window] = await platform.database.query<{ used: number }>(
      `SELECT used FROM tenant_rate_windows WHERE tenant_id = $1 ORDER BY window_start DESC LIMIT 1`,
      [limited.id],
    );
    assert.equal(window?.used, LIMIT);
  });

  it('counts a scoped read that answers 404, across both processes', async () => {
    const unknowns = tenants[2]!;
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await sleep(60_000 - intoMinute + 200);

    // Each read is admitted (its lease taken in the read's transaction), then finds nothing.
    const answers = [];
    for (let i = 0; i < LIMIT + 4; i += 1) {
      const base = i % 2 === 0 ? platform.baseUrl : secondUrl;
      answers.push(
        await request(base, 'GET', `/api/v1/tenants/${unknowns.slug}/environments/nowhere`, {
          headers: unknowns.owner.headers,
        }),
      );
    }
    const statuses = answers.map((answer) => answer.status);
    assert.deepEqual(
      statuses,
      [...Array<number>(LIMIT).fill(404), ...Array<number>(4).fill(429)],
      `the plan's ${LIMIT} requests, then 429: ${statuses.join(' ')}`,
    );
    assert.match(answers[0]!.body.detail, /nowhere/);
    const [window] = await platform.database.query<{ used: number }>(
      `SELECT used FROM tenant_rate_windows WHERE tenant_id = $1 ORDER BY window_start DESC LIMIT 1`,
      [unknowns.id],
    );
    assert.equal(window?.used, LIMIT, 'every admitted read is recorded');
  });
});
