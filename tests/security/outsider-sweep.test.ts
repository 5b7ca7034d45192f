// The outsider sweep, generated from the OpenAPI document: every operation under
// /api/v1/tenants/{slug}, against a tenant holding real resources (an API key, a webhook
// endpoint, a secret, its owner's membership: their ids fill the path parameters of that name),
// by everyone who must not reach it:
//   - another tenant's owner and that tenant's API key: 404, word for word the answer for a
//     tenant that does not exist (nothing says the tenant is there); a key may also be refused
//     401 on routes that take no API keys, the same for a missing tenant;
//   - a token signed with another key (as the tenant's owner, and as a platform admin), the
//     owner's expired token, no token at all: 401.
// Every answer is a problem+json, and nothing changes: every table's row count and the
// workflows started are the same before and after the sweep.
//
// The rest of the security suite (`npm run test:security`): tests/security/bad-input.test.ts
// (bad input to every operation), tests/security/secret-scan.test.ts (no secret in logs,
// histories or answers), and the limits, tested where they are built and run by the same
// command: login lockout and per-IP login rate limits in tests/integration/auth.test.ts,
// per-tenant rate limits across two API processes in tests/integration/tenant-rate-limits.test.ts.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createAccessTokens } from '../../api/auth/access-tokens.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { OpenApiDocument, Operation } from '../support/openapi-cases.ts';
import { describeOperation, operationsOf, plausiblePathValue, urlOf } from '../support/openapi-cases.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { jwtPrivateKey, seedUser, startPlatform } from '../support/platform.ts';
import type { Answer } from '../support/security.ts';
import { assertProblem, readAnswer, writeFingerprint, writesBetween } from '../support/security.ts';

// A public address given literally: registering an endpoint calls nothing.
const PUBLIC_URL = 'https://93.184.215.14/atrium/security';
const METERING_INTERVAL_MS = 500;

describe('the outsider sweep over every tenant route of the OpenAPI document', () => {
  let platform: Platform;
  let document: OpenApiDocument;
  const tenants: Array<{ id: string; slug: string; owner: TestUser }> = [];
  /** Real ids in the tenant under attack, by path parameter name. */
  const known: Record<string, string> = {};
  const callers: Record<string, Record<string, string>> = {};

  before(async () => {
    // Members' requests are metered (usage_events), written every interval: a short one, waited
    // out before the sweep, so the setup's own requests are written before it starts.
    platform = await startPlatform({ env: { USAGE_METERING_INTERVAL: `${METERING_INTERVAL_MS}ms` } });
    document = (await request(platform.baseUrl, 'GET', '/api/v1/openapi.json')).body;
    for (const prefix of ['target', 'outsider']) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(prefix), name: prefix, plan: 'team', ownerEmail: `${prefix}@sweep.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      const owner = await seedUser(platform.database, { email: `${prefix}-owner@sweep.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        created.body.tenant.id,
        owner.userId,
      ]);
      tenants.push({ ...created.body.tenant, owner });
    }
    const [target, outsider] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    const asOwner = (tenant: (typeof tenants)[0], path: string, json: unknown) =>
      request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}${path}`, {
        headers: tenant.owner.headers,
        json,
      });

    const key = await asOwner(target, '/api-keys', { name: 'target key', role: 'admin' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const endpoint = await asOwner(target, '/webhooks', { url: PUBLIC_URL, eventTypes: ['member.joined'] });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    const secret = await asOwner(target, '/secrets', {
      name: 'SWEEP_TOKEN',
      kind: 'generic',
      value: `v-${randomUUID()}`,
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    Object.assign(known, {
      slug: target.slug,
      keyId: key.body.apiKey.id,
      endpointId: endpoint.body.endpoint.id,
      secretId: secret.body.id,
      userId: target.owner.userId,
    });
    for (const [name, value] of Object.entries(known)) assert.ok(value, `${name} of the target tenant`);

    const outsiderKey = await asOwner(outsider, '/api-keys', { name: 'outsider key', role: 'owner' });
    assert.equal(outsiderKey.status, 201, JSON.stringify(outsiderKey.body));
    const forger = await createAccessTokens({
      privateKeyPem: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      issuer: 'atrium',
      audience: 'atrium-api',
      ttlMs: 3_600_000,
    });
    const expired = await createAccessTokens({
      privateKeyPem: jwtPrivateKey,
      issuer: 'atrium',
      audience: 'atrium-api',
      ttlMs: -3_600_000,
    });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    Object.assign(callers, {
      "another tenant's owner": outsider.owner.headers,
      "another tenant's API key": bearer(outsiderKey.body.key),
      'a token signed with another key': bearer(
        await forger.sign({ userId: target.owner.userId, platformAdmin: false }),
      ),
      'a platform admin token signed with another key': bearer(
        await forger.sign({ userId: platform.admin.userId, platformAdmin: true }),
      ),
      "the owner's expired token": bearer(await expired.sign({ userId: target.owner.userId, platformAdmin: false })),
      'no token': {},
    });
  });
  after(async () => {
    await platform?.stop();
  });

  async function call(operation: Operation, slug: string, headers: Record<string, string>): Promise<Answer> {
    const pathValues = Object.fromEntries(
      operation.pathParams.map((parameter) => [parameter.name, plausiblePathValue(parameter, { ...known, slug })]),
    );
    const sent: Record<string, string> = { ...headers };
    if (operation.body) sent['content-type'] = 'application/json';
    if (operation.headerParams.some((header) => header.name.toLowerCase() === 'idempotency-key'))
      sent['Idempotency-Key'] = randomUUID();
    const response = await fetch(new URL(urlOf(operation, { pathValues, query: {} }), platform.baseUrl), {
      method: operation.method,
      headers: sent,
      body: operation.body ? '{}' : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    return readAnswer(response);
  }

  it('answers 404 as for a missing tenant, or 401, on every route, and changes nothing', async () => {
    const routes = operationsOf(document).filter((operation) =>
      operation.template.startsWith('/api/v1/tenants/{slug}'),
    );
    assert.ok(routes.length > 50, `${routes.length} tenant routes in the document`);
    const missing = uniqueSlug('missing');
    await sleep(3 * METERING_INTERVAL_MS);
    const before = await writeFingerprint(platform);
    const failures: string[] = [];
    for (const operation of routes)
      for (const [who, headers] of Object.entries(callers)) {
        const label = `${describeOperation(operation)} by ${who}`;
        try {
          const answer = await call(operation, known.slug!, headers);
          assertProblem(answer, label);
          const member = who === "another tenant's owner";
          const key = who === "another tenant's API key";
          if (member || key) {
            assert.ok(
              answer.status === 404 || (key && answer.status === 401),
              `${label}: ${answer.status} ${answer.text}`,
            );
            const absent = await call(operation, missing, headers);
            const strip = (problem: Answer, slug: string) => ({
              status: problem.status,
              type: problem.body.type,
              detail: String(problem.body.detail ?? '').replaceAll(slug, '<slug>'),
            });
            assert.deepEqual(strip(answer, known.slug!), strip(absent, missing), `${label}: the same as for no tenant`);
          } else {
            assert.equal(answer.status, 401, `${label}: ${answer.text}`);
          }
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    failures.push(
      ...writesBetween(before, await writeFingerprint(platform)).map((write) => `the sweep wrote ${write}`),
    );
    console.log(`outsider sweep: ${routes.length} tenant routes × ${Object.keys(callers).length} callers`);
    assert.deepEqual(failures, []);
  });
});
