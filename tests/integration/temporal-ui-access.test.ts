// Operator access to the Temporal UI through Atrium (/ops/temporal/, api/ops/), against the
// run's real Temporal dev server and the UI it serves under --ui-public-path=/ops/temporal:
// nobody signed in is sent to sign-in (pages) or answered 401 (API calls); a signed-in user
// without an operator role gets 403; operator-read reads and is refused every write route of
// the UI's API, each with a 403 naming it and an audit entry; operator-write terminates a
// real workflow through the proxy, audited; the UI's own port listens on loopback only; and
// the operator tokens for Temporal have the shape the server's default claim mapper reads and
// verify against /ops/temporal-jwks.json.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createCookieSessionStorage } from 'react-router';
import { TemporalOperatorJwks, TemporalOperatorToken } from '../../contracts/operators.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const SESSION_SECRET = randomBytes(32).toString('base64url');
const UI = '/ops/temporal';
const NS = `${UI}/api/v1/namespaces/default`;

describe('the Temporal UI behind operator sign-in', () => {
  let platform: Platform;
  let reader: TestUser;
  let writer: TestUser;
  let nobody: TestUser;
  let provisionId: string;
  /** A workflow that stays open: started on a queue no worker polls. */
  let openId: string;

  const auditRows = (actorId: string, action: string) =>
    platform.database.query<{ after: Record<string, string> }>(
      `SELECT after FROM audit_log WHERE actor_id = $1 AND action = $2 ORDER BY id`,
      [actorId, action],
    );
  /**
   * The UI server's CSRF pair, as the UI's own script sends it: the `_csrf` cookie it sets, and
   * the same value in `X-CSRF-Token` (echo's double-submit check on every POST it gets).
   */
  const csrfOf = async (headers: Record<string, string>) => {
    const settings = await ui(`${UI}/api/v1/settings`, { headers });
    const token = /(?:^|,\s*)_csrf=([^;]+)/.exec(settings.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(token, `the UI sets its CSRF cookie: ${settings.headers.get('set-cookie')}`);
    return {
      settings: (await settings.json()) as { DisableWriteActions: boolean },
      cookie: `_csrf=${token}`,
      header: { 'x-csrf-token': token },
    };
  };
  const ui = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, platform.baseUrl), { redirect: 'manual', ...init });

  before(async () => {
    platform = await startPlatform({ env: { SESSION_SECRET } });
    reader = await seedUser(platform.database, { email: 'reader@ops.test' });
    writer = await seedUser(platform.database, { email: 'writer@ops.test' });
    nobody = await seedUser(platform.database, { email: 'nobody@ops.test' });
    // Platform admins grant the roles through the API (audited).
    for (const [user, role] of [
      [reader, 'read'],
      [writer, 'write'],
    ] as const) {
      const granted = await request(platform.baseUrl, 'PUT', `/api/v1/operators/${user.userId}`, {
        headers: platform.admin.headers,
        json: { role },
      });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      assert.deepEqual(granted.body, { userId: user.userId, email: user.email, role });
    }
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('ops'), name: 'Ops Co', ownerEmail: 'owner@ops.test' },
    });
    provisionId = created.body.operation.id;
    await waitForOperation(platform, provisionId);
    openId = `ops-test/${randomUUID()}`;
    await platform.temporal.workflow.start('neverRuns', {
      taskQueue: `ops-nobody-${randomUUID()}`,
      workflowId: openId,
      args: [],
    });
  });
  after(async () => {
    await platform?.temporal.workflow
      .getHandle(openId)
      .terminate('test over')
      .catch(() => {});
    await platform?.stop();
  });

  it('lets only platform admins grant roles, naming bad fields, and audits each grant', async () => {
    const refused = await request(platform.baseUrl, 'PUT', `/api/v1/operators/${nobody.userId}`, {
      headers: writer.headers,
      json: { role: 'write' },
    });
    assert.equal(refused.status, 403);
    const bad = await request(platform.baseUrl, 'PUT', `/api/v1/operators/${nobody.userId}`, {
      headers: platform.admin.headers,
      json: { role: 'admin' },
    });
    assert.equal(bad.status, 422);
    assert.deepEqual(
      bad.body.errors.map((e: { path: string }) => e.path),
      ['role'],
    );
    const missing = await request(platform.baseUrl, 'PUT', `/api/v1/operators/${randomUUID()}`, {
      headers: platform.admin.headers,
      json: { role: 'read' },
    });
    assert.equal(missing.status, 404);
    const [row] = await platform.database.query<{ operator_role: string | null }>(
      `SELECT operator_role FROM users WHERE id = $1`,
      [nobody.userId],
    );
    assert.equal(row?.operator_role, null, 'nothing changed');
    const grants = await auditRows(platform.admin.userId, 'user.operator_role_changed');
    assert.deepEqual(
      grants.map((g) => g.after),
      [{ operatorRole: 'read' }, { operatorRole: 'write' }],
    );
  });

  it('sends a browser without a sign-in to /login and back, and answers API calls 401', async () => {
    const page = await ui(`${UI}/namespaces/default/workflows`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 302);
    assert.equal(
      page.headers.get('location'),
      `/login?${new URLSearchParams({ redirectTo: `${UI}/namespaces/default/workflows` })}`,
    );
    const call = await ui(`${NS}/workflows`);
    assert.equal(call.status, 401);
    assert.equal(((await call.json()) as { type: string }).type, 'urn:atrium:problem:unauthenticated');
    const forged = await ui(`${NS}/workflows`, {
      headers: { authorization: 'Bearer a.b.c', accept: 'application/json' },
    });
    assert.equal(forged.status, 401);
  });

  it('refuses signed-in people without an operator role, and audits it', async () => {
    const response = await ui(`${NS}/workflows`, { headers: nobody.headers });
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { detail: string }).detail, /operators/);
    assert.equal((await auditRows(nobody.userId, 'temporal_ui.refused')).length, 1);
  });

  it('serves operator-read the UI and its reads, from a real portal session too, without the portal CSP', async () => {
    // A portal session as the portal keeps it: signed cookie, real refresh token from a real sign-in.
    const login = await request(platform.baseUrl, 'POST', '/api/v1/auth/login', {
      json: { email: reader.email, password: reader.password },
    });
    assert.equal(login.status, 200);
    const storage = createCookieSessionStorage({ cookie: { name: '__atrium_session', secrets: [SESSION_SECRET] } });
    const session = await storage.getSession();
    session.set('refreshToken', login.body.refreshToken);
    session.set('accessToken', login.body.accessToken);
    const cookie = (await storage.commitSession(session)).split(';')[0]!;

    const page = await ui(`${UI}/`, { headers: { cookie, accept: 'text/html' } });
    assert.equal(page.status, 200, await page.clone().text());
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /\/ops\/temporal\//, 'the UI links its files under the public path');
    const direct = await fetch(new URL(`${UI}/`, testEnv.ATRIUM_TEST_TEMPORAL_UI_URL));
    const sameCsp = (value: string | null) => value?.replace(/nonce-[^' ;]+/g, 'nonce-*') ?? null;
    assert.equal(
      sameCsp(page.headers.get('content-security-policy')),
      sameCsp(direct.headers.get('content-security-policy')),
      "the UI's own policy (or none), never the portal's",
    );
    await direct.body?.cancel();

    const listed = await ui(`${NS}/workflows?query=${encodeURIComponent(`WorkflowId="${openId}"`)}`, {
      headers: { cookie },
    });
    assert.equal(listed.status, 200);
    const body = (await listed.json()) as { executions: Array<{ execution: { workflowId: string } }> };
    assert.deepEqual(
      body.executions.map((e) => e.execution.workflowId),
      [openId],
    );
    const described = await ui(`${NS}/workflows/${encodeURIComponent(provisionId)}`, { headers: reader.headers });
    assert.equal(described.status, 200);
    // The UI's settings say "no write actions" to operator-read, so the UI hides those buttons.
    const csrf = await csrfOf({ cookie });
    assert.equal(csrf.settings.DisableWriteActions, true);
    const queried = await ui(`${NS}/workflows/${encodeURIComponent(provisionId)}/query/getProgress`, {
      method: 'POST',
      headers: { cookie: `${cookie}; ${csrf.cookie}`, ...csrf.header, 'content-type': 'application/json' },
      body: JSON.stringify({ query: { queryType: 'getProgress' } }),
    });
    assert.equal(queried.status, 200, await queried.clone().text());

    // Signed out: the same cookie no longer opens anything.
    await request(platform.baseUrl, 'POST', '/api/v1/auth/logout', { json: { refreshToken: login.body.refreshToken } });
    assert.equal((await ui(`${NS}/workflows`, { headers: { cookie } })).status, 401);
  });

  it('refuses operator-read every write route of the UI API, naming it, and changes nothing', async () => {
    const wf = `${NS}/workflows/${encodeURIComponent(openId)}`;
    const writes: Array<[string, string, string, unknown]> = [
      ['POST', `${wf}/terminate`, 'workflow.terminate', { reason: 'no' }],
      ['POST', `${wf}/cancel`, 'workflow.cancel', {}],
      ['POST', `${wf}/signal/approve`, 'workflow.signal', {}],
      ['POST', `${wf}/update/decide`, 'workflow.update', {}],
      ['POST', `${wf}/reset`, 'workflow.reset', {}],
      ['POST', `${NS}/batch-operations/ops-${randomUUID()}`, 'batch.start', { visibilityQuery: 'WorkflowType="x"' }],
      ['POST', `${NS}/schedules/ops-schedule`, 'schedule.create', {}],
      ['POST', `${NS}/schedules/ops-schedule/update`, 'schedule.update', {}],
      ['POST', `${NS}/schedules/ops-schedule/patch`, 'schedule.patch', {}],
      ['DELETE', `${NS}/schedules/ops-schedule`, 'schedule.delete', undefined],
      ['POST', `${NS}/workflows/ops-started-${randomUUID()}`, 'workflow.start', { workflowType: { name: 'x' } }],
    ];
    for (const [method, path, operation, json] of writes) {
      const response = await ui(path, {
        method,
        headers: { ...reader.headers, 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const problem = (await response.json()) as { type: string; detail: string };
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(problem.type, 'urn:atrium:problem:forbidden');
      assert.ok(problem.detail.startsWith(`${operation} (`), problem.detail);
      assert.match(problem.detail, /operator-read may only read/);
    }
    const refused = await auditRows(reader.userId, 'temporal_ui.refused');
    assert.deepEqual(
      refused.map((r) => r.after.operation),
      writes.map(([, , operation]) => operation),
    );
    assert.ok(refused.every((r) => r.after.role === 'read'));
    const { status } = await platform.temporal.workflow.getHandle(openId).describe();
    assert.equal(status.name, 'RUNNING', 'the workflow is untouched');
    const schedules = await ui(`${NS}/schedules`, { headers: reader.headers });
    assert.equal(schedules.status, 200);
    assert.ok(!JSON.stringify(await schedules.json()).includes('ops-schedule'), 'no schedule was made');
  });

  it('lets operator-write terminate a real workflow through the UI API, audited', async () => {
    const csrf = await csrfOf(writer.headers);
    assert.equal(csrf.settings.DisableWriteActions, false, "operator-write sees the UI's own settings");
    const response = await ui(`${NS}/workflows/${encodeURIComponent(openId)}/terminate`, {
      method: 'POST',
      headers: { ...writer.headers, cookie: csrf.cookie, ...csrf.header, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'terminated by an operator in a test' }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const { status } = await platform.temporal.workflow.getHandle(openId).describe();
    assert.equal(status.name, 'TERMINATED');
    const [write] = await auditRows(writer.userId, 'temporal_ui.write');
    assert.equal(write?.after.operation, 'workflow.terminate');
    assert.equal(write?.after.workflowId, openId);
    assert.equal(write?.after.role, 'write');
  });

  it("binds the UI's own port to loopback only", async () => {
    const port = Number(new URL(testEnv.ATRIUM_TEST_TEMPORAL_UI_URL).port);
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = ['/proc/net/tcp', '/proc/net/tcp6']
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A')
      .map((fields) => fields[1]!.split(':')[0]!);
    assert.ok(listening.length > 0, `something listens on ${port}`);
    // 127.0.0.1 as /proc/net/tcp writes it (little-endian), or ::ffff:127.0.0.1 in tcp6.
    for (const address of listening) assert.match(address, /^(0100007F|0000000000000000FFFF00000100007F)$/, address);
    const outward = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && entry.family === 'IPv4' && !entry.internal);
    if (outward) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, outward.address);
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      assert.equal(refused, 'ECONNREFUSED', `the UI is not reachable on ${outward.address}:${port}`);
    }
  });

  it('issues operator tokens the Temporal default claim mapper reads, verifiable with the JWKS', async () => {
    const jwks = TemporalOperatorJwks.parse((await request(platform.baseUrl, 'GET', '/ops/temporal-jwks.json')).body);
    const accessKeys = (await request(platform.baseUrl, 'GET', '/.well-known/jwks.json')).body.keys as Array<{
      kid: string;
    }>;
    assert.ok(!accessKeys.some((key) => key.kid === jwks.keys[0]!.kid), 'a key of their own');
    for (const [user, permission] of [
      [reader, 'read'],
      [writer, 'write'],
    ] as const) {
      const issued = await request(platform.baseUrl, 'POST', '/api/v1/operators/me/temporal-token', {
        headers: user.headers,
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const token = TemporalOperatorToken.parse(issued.body);
      assert.deepEqual(token.permissions, [`default:${permission}`]);
      const header = decodeProtectedHeader(token.token);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.kid, jwks.keys[0]!.kid);
      const { payload } = await jwtVerify(token.token, createLocalJWKSet(jwks), {
        algorithms: ['ES256'],
        issuer: 'atrium',
        audience: 'temporal',
      });
      assert.deepEqual(payload.permissions, [`default:${permission}`]);
      assert.equal(payload.sub, user.userId);
      assert.ok(payload.exp! > Date.now() / 1000);
      assert.equal((await auditRows(user.userId, 'operator.temporal_token_issued')).length, 1);
    }
    const refused = await request(platform.baseUrl, 'POST', '/api/v1/operators/me/temporal-token', {
      headers: nobody.headers,
    });
    assert.equal(refused.status, 403);
  });
});

// What reaches the UI server, seen by a loopback HTTP server standing in for it: the path and
// query unchanged, the body as sent, Atrium's credentials gone, the UI's own cookies kept, with
// TEMPORAL_UI_OPERATOR_TOKENS=on the operator's own Temporal token, and answers streamed.
describe('what the Temporal UI proxy hands on', () => {
  let platform: Platform;
  let upstream: Server;
  let reader: TestUser;
  let writer: TestUser;
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  let releaseStream: () => void = () => {};

  before(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/ops/temporal/stream') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first\n');
          new Promise<void>((resolve) => (releaseStream = resolve)).then(
            () => res.end('second\n'),
            () => {},
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    platform = await startPlatform({
      env: { SESSION_SECRET, TEMPORAL_UI_URL: `http://127.0.0.1:${port}`, TEMPORAL_UI_OPERATOR_TOKENS: 'on' },
    });
    reader = await seedUser(platform.database, { email: 'reader@upstream.test' });
    writer = await seedUser(platform.database, { email: 'writer@upstream.test' });
    await platform.database.query(`UPDATE users SET operator_role = 'read' WHERE id = $1`, [reader.userId]);
    await platform.database.query(`UPDATE users SET operator_role = 'write' WHERE id = $1`, [writer.userId]);
  });
  after(async () => {
    releaseStream();
    await platform?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const verifyTemporalToken = async (authorization: string | undefined) => {
    const jwks = TemporalOperatorJwks.parse((await request(platform.baseUrl, 'GET', '/ops/temporal-jwks.json')).body);
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    assert.ok(token, `a Bearer token reached the UI server: ${authorization}`);
    return (await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['ES256'], audience: 'temporal' })).payload;
  };

  it('forwards path, query and body unchanged, with the operator token instead of Atrium credentials', async () => {
    const path = `${NS}/workflows/${encodeURIComponent('tenant-provision/acme')}/terminate?x=1&y=%2F`;
    const body = JSON.stringify({ reason: 'because' });
    const response = await fetch(new URL(path, platform.baseUrl), {
      method: 'POST',
      headers: {
        ...writer.headers,
        cookie: '__atrium_session=not-for-the-ui; _csrf=ui-own',
        'content-type': 'application/json',
        'x-http-method-override': 'GET',
      },
      body,
    });
    assert.equal(response.status, 200);
    const got = seen.at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, path);
    assert.equal(got.body, body);
    assert.equal(got.headers.cookie, '_csrf=ui-own');
    assert.equal(got.headers['x-http-method-override'], undefined);
    const claims = await verifyTemporalToken(got.headers.authorization);
    assert.deepEqual(claims.permissions, ['default:write']);
    assert.equal(claims.sub, writer.userId);
    assert.notEqual(got.headers.authorization, writer.headers.authorization);
  });

  it("streams the UI server's answer as it comes, with operator-read's own token", async () => {
    const response = await fetch(new URL(`${UI}/stream`, platform.baseUrl), { headers: reader.headers });
    assert.equal(response.status, 200);
    const parts = response.body!.getReader();
    const first = await parts.read();
    assert.equal(new TextDecoder().decode(first.value), 'first\n', 'the first part arrives before the answer ends');
    releaseStream();
    let rest = '';
    for (let part = await parts.read(); !part.done; part = await parts.read())
      rest += new TextDecoder().decode(part.value);
    assert.equal(rest, 'second\n');
    const claims = await verifyTemporalToken(seen.at(-1)!.headers.authorization);
    assert.deepEqual(claims.permissions, ['default:read']);
  });
});
