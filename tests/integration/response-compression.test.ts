// Response compression on the API (RESPONSE_COMPRESSION=on, the default): JSON above the
// threshold comes gzip- or brotli-encoded as the client asks, with Vary: Accept-Encoding;
// small answers go out as they are; and an operation's event stream is never compressed, so
// each event reaches the client as it happens. Read with node:http, which (unlike fetch)
// neither asks for nor undoes an encoding by itself: the test sees the bytes on the wire.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { COMPRESSION_THRESHOLD_BYTES } from '../../api/http/compression.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function get(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('response compression (API)', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('compresses JSON above the threshold with brotli or gzip, as asked, and says it varies', async () => {
    const url = new URL('/api/v1/openapi.json', platform.baseUrl).toString();
    const plain = await get(url, { 'accept-encoding': 'identity' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.body.length > COMPRESSION_THRESHOLD_BYTES, 'the OpenAPI document is above the threshold');

    const brotli = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.match(String(brotli.headers['content-type']), /^application\/json/);
    assert.match(String(brotli.headers.vary), /Accept-Encoding/i);
    assert.ok(brotli.body.length < plain.body.length / 3, `${brotli.body.length} of ${plain.body.length} bytes`);
    assert.deepEqual(JSON.parse(brotliDecompressSync(brotli.body).toString()), JSON.parse(plain.body.toString()));

    const gzip = await get(url, { 'accept-encoding': 'gzip' });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(gunzipSync(gzip.body).toString()), JSON.parse(plain.body.toString()));
  });

  it('sends small answers as they are, and probes never compressed', async () => {
    const problem = await get(new URL('/api/v1/no-such-route', platform.baseUrl).toString(), {
      'accept-encoding': 'gzip, br',
    });
    assert.equal(problem.status, 404);
    assert.ok(problem.body.length < COMPRESSION_THRESHOLD_BYTES);
    assert.equal(problem.headers['content-encoding'], undefined);
    assert.match(
      String(problem.headers.vary),
      /Accept-Encoding/i,
      'it went through compression, which left it as it was',
    );
    const health = await get(new URL('/healthz', platform.baseUrl).toString(), { 'accept-encoding': 'gzip, br' });
    assert.equal(health.status, 200);
    assert.equal(health.headers['content-encoding'], undefined);
  });

  it("delivers each event of an operation's stream as it happens, uncompressed", async () => {
    // An enterprise tenant waits for a platform admin's approval: its operation stays open,
    // so the stream's first event must arrive long before the stream ends.
    const slug = uniqueSlug('sse');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Streaming Ltd', plan: 'enterprise', ownerEmail: 'owner@sse.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const operationId = created.body.operation.id as string;

    const events: Array<{ event: string; data: string; at: number }> = [];
    let ended: number | undefined;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(
        new URL(`${operationPath(operationId)}/events`, platform.baseUrl),
        { headers: { ...platform.admin.headers, accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' } },
        resolve,
      )
        .on('error', reject)
        .end();
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/event-stream/);
    assert.equal(response.headers['content-encoding'], undefined, 'an event stream is never compressed');
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data, at: Date.now() });
      }
    });
    const closed = new Promise<void>((resolve) => response.on('end', () => resolve()));
    void closed.then(() => {
      ended = Date.now();
    });

    // The waiting operation's progress arrives while the stream stays open.
    const deadline = Date.now() + 30_000;
    const waiting = () =>
      events.some(
        ({ event, data }) =>
          event === 'progress' &&
          (JSON.parse(data) as { steps: Array<{ name: string; status: string }> }).steps.some(
            (step) => step.name === 'approval' && step.status === 'running',
          ),
      );
    while (!waiting() && Date.now() < deadline) await sleep(50);
    assert.ok(waiting(), `the approval step's progress arrived: ${JSON.stringify(events.map((e) => e.event))}`);
    assert.equal(ended, undefined, 'the stream is still open');

    // The approval moves the operation on; its events follow, then the end.
    const decided = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/approval`, {
      headers: platform.admin.headers,
      json: { decision: 'approve' },
    });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    await Promise.race([closed, sleep(60_000).then(() => assert.fail('the stream did not end'))]);
    assert.equal(events.at(-1)?.event, 'end');
    assert.ok(events.filter((e) => e.event === 'progress').length >= 2, 'progress before and after the approval');
    const firstProgress = events.find((e) => e.event === 'progress')!;
    assert.ok(firstProgress.at < ended!, 'the first event arrived before the stream ended');
    assert.equal((await waitForOperation(platform, operationId)).status, 'completed');
  });
});
