// Bad input to every operation of the OpenAPI document, generated from its schemas with
// fast-check (tests/support/openapi-cases.ts), so a new route is covered without a test of its
// own: wrong types, missing required fields, out-of-range numbers, overlong strings, bad enum
// members, unknown fields, broken JSON, other media types, bad path and query parameters. Sent
// as a platform admin (who passes every tenant's permission check) to a real, provisioned
// tenant, so each request reaches the route's own validation. Every answer is a 4xx (never a
// 5xx, never accepted), a problem+json with a type, a 422 validation failure names the field
// at fault, and no operation's requests write anything: every table's row count and the
// workflows started are the same before and after.
//
// Seeded: ATRIUM_SECURITY_SEED (default below) and ATRIUM_SECURITY_RUNS (runs per operation);
// a failure prints the seed and the counterexample, so `ATRIUM_SECURITY_SEED=<seed>` repeats it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { BadRequest, OpenApiDocument, Operation } from '../support/openapi-cases.ts';
import { badRequests, describeOperation, operationsOf, plausiblePathValue, urlOf } from '../support/openapi-cases.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { assertProblem, readAnswer, writeFingerprint, writesBetween } from '../support/security.ts';

const SEED = Number(process.env.ATRIUM_SECURITY_SEED ?? 20_261_203);
const RUNS = Number(process.env.ATRIUM_SECURITY_RUNS ?? 12);

describe('bad input to every operation of the OpenAPI document', () => {
  let platform: Platform;
  let document: OpenApiDocument;
  let slug: string;

  before(async () => {
    // The limits are tested on their own (see tests/security/outsider-sweep.test.ts's header):
    // here they would only turn validation answers into 429s.
    platform = await startPlatform({ env: { TENANT_RATE_LIMITS: 'off', LOGIN_RATE_LIMIT: '100000' } });
    document = (await request(platform.baseUrl, 'GET', '/api/v1/openapi.json')).body;
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('bad-input'), name: 'Bad input', plan: 'team', ownerEmail: 'owner@bad-input.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
  });
  after(async () => {
    await platform?.stop();
  });

  async function send(operation: Operation, bad: BadRequest) {
    const headers: Record<string, string> = { ...platform.admin.headers };
    if (bad.contentType) headers['content-type'] = bad.contentType;
    for (const header of operation.headerParams)
      if (header.name.toLowerCase() === 'idempotency-key') headers['Idempotency-Key'] = randomUUID();
    const response = await fetch(new URL(urlOf(operation, bad), platform.baseUrl), {
      method: operation.method,
      headers,
      body: bad.body,
      signal: AbortSignal.timeout(30_000),
    });
    return readAnswer(response);
  }

  it('refuses it with a problem naming the field, and writes nothing', async () => {
    const operations = operationsOf(document);
    assert.ok(operations.length > 100, `the document lists ${operations.length} operations`);
    let requests = 0;
    const uncovered: string[] = [];
    const failures: string[] = [];
    for (const operation of operations) {
      const name = describeOperation(operation);
      const pathValues = Object.fromEntries(
        operation.pathParams.map((parameter) => [parameter.name, plausiblePathValue(parameter, { slug })]),
      );
      const arbitrary = badRequests(document, operation, pathValues);
      if (!arbitrary) {
        uncovered.push(name);
        continue;
      }
      const before = await writeFingerprint(platform);
      const result = await fc.check(
        fc.asyncProperty(arbitrary, async (bad) => {
          requests++;
          const label = `${name} with ${bad.label}`;
          const answer = await send(operation, bad);
          assert.ok(
            answer.status >= 400 && answer.status < 500,
            `${label}: ${answer.status} ${answer.text.slice(0, 300)}`,
          );
          assertProblem(answer, label);
          if (answer.status === 422 && answer.body.type === 'urn:atrium:problem:validation-failed') {
            const paths: string[] = (answer.body.errors ?? []).map((error: { path: string }) => error.path);
            assert.ok(paths.length > 0, `${label}: a validation failure lists its errors`);
            if (bad.field)
              assert.ok(
                paths.some((path) => path === bad.field || path.startsWith(`${bad.field}.`)),
                `${label}: the errors name ${bad.field}: ${JSON.stringify(answer.body.errors)}`,
              );
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      if (result.failed)
        failures.push(
          `${name} (seed ${SEED}, path ${result.counterexamplePath}): ${
            result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)
          }`,
        );
      const writes = writesBetween(before, await writeFingerprint(platform));
      if (writes.length > 0) failures.push(`${name} wrote: ${writes.join('; ')}`);
    }
    console.log(
      `bad input: ${requests} requests to ${operations.length - uncovered.length} operations (seed ${SEED}, ${RUNS} runs each)` +
        (uncovered.length ? `; no bad input to generate for ${uncovered.join(', ')}` : ''),
    );
    assert.deepEqual(failures, []);
  });
});
