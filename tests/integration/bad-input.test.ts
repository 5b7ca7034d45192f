// Bad input gets a clear problem+json naming what is wrong, never a 500, and writes
// nothing: no tenant row, no idempotency record, no workflow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JsonResponse } from '../support/api-client.ts';
import { request } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

const VALID = { slug: 'valid-slug', name: 'Valid', ownerEmail: 'owner@valid.test' };

describe('bad input to POST /api/v1/tenants', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  const post = (options: Parameters<typeof request>[3]) =>
    request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      ...options,
      headers: { ...platform.admin.headers, 'Idempotency-Key': `bad-${Math.random()}`, ...options?.headers },
    });

  function assertProblem(response: JsonResponse, status: number, slug: string): void {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.body.type, `urn:atrium:problem:${slug}`);
    assert.equal(response.body.status, status);
    assert.ok(response.body.title);
    assert.ok(response.body.requestId);
  }

  it('malformed JSON is a 400', async () => {
    const response = await post({ body: '{"slug": "acme",', headers: { 'content-type': 'application/json' } });
    assertProblem(response, 400, 'malformed-json');
  });

  it('wrong types are a 422 naming every field', async () => {
    const response = await post({ json: { slug: 42, name: true, plan: 'gold', ownerEmail: 'not-an-email' } });
    assertProblem(response, 422, 'validation-failed');
    assert.deepEqual(response.body.errors.map((e: any) => e.path).sort(), ['name', 'ownerEmail', 'plan', 'slug']);
  });

  it('a malformed slug is a 422 saying what a slug may contain', async () => {
    const response = await post({ json: { ...VALID, slug: 'Bad Slug!' } });
    assertProblem(response, 422, 'validation-failed');
    assert.deepEqual(response.body.errors, [
      { path: 'slug', message: 'Use 3 to 40 lowercase letters, digits or dashes, starting with a letter.' },
    ]);
  });

  it('missing fields are a 422 naming each', async () => {
    const response = await post({ json: {} });
    assertProblem(response, 422, 'validation-failed');
    assert.deepEqual(response.body.errors.map((e: any) => e.path).sort(), ['name', 'ownerEmail', 'slug']);
  });

  it('unknown fields are a 422 naming the field', async () => {
    const response = await post({ json: { ...VALID, isAdmin: true } });
    assertProblem(response, 422, 'validation-failed');
    assert.deepEqual(response.body.errors, [{ path: 'isAdmin', message: 'Unknown field "isAdmin".' }]);
  });

  it('an oversized body is a 413', async () => {
    const response = await post({ json: { ...VALID, name: 'x'.repeat(32 * 1024) } });
    assertProblem(response, 413, 'payload-too-large');
  });

  it('a body that is not JSON is a 415', async () => {
    const response = await post({
      body: 'slug=acme',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertProblem(response, 415, 'unsupported-media-type');
  });

  it('an invalid Idempotency-Key is a 400 naming the header', async () => {
    const response = await post({ json: VALID, headers: { 'Idempotency-Key': 'k'.repeat(300) } });
    assertProblem(response, 400, 'bad-request');
    assert.equal(response.body.errors[0].path, 'Idempotency-Key');
  });

  it('bad query parameters are a 422 naming the parameter', async () => {
    const response = await request(platform.baseUrl, 'GET', '/api/v1/operations?tenantId=nope&kind=x', {
      headers: platform.admin.headers,
    });
    assertProblem(response, 422, 'validation-failed');
    assert.deepEqual(response.body.errors.map((e: any) => e.path).sort(), ['kind', 'tenantId']);
  });

  it('an unknown API route is a 404 problem', async () => {
    assertProblem(await request(platform.baseUrl, 'GET', '/api/v1/nothing-here'), 404, 'not-found');
  });

  it('none of it wrote anything', async () => {
    assert.deepEqual(await platform.database.query(`SELECT count(*)::int AS n FROM tenants`), [{ n: 0 }]);
    assert.deepEqual(await platform.database.query(`SELECT count(*)::int AS n FROM idempotency_keys`), [{ n: 0 }]);
    const started = [];
    for await (const execution of platform.temporal.workflow.list({
      query: `TaskQueue IN (${platform.taskQueues.map((queue) => `"${queue}"`).join(', ')})`,
    })) {
      started.push(execution.workflowId);
    }
    assert.deepEqual(started, []);
  });
});
