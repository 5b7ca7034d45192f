// The API's request spans (api/http/trace-span.ts), over real HTTP into an Express app with the
// real tracer provider: sampled before any span is made, the span named after the route
// template, the rest of the request (its body parsed, its own spans) under it; a request left
// out, a probe, or a caller's "not sampled" makes none and runs with tracing suppressed.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import express from 'express';
import { nameRequestSpans, startRequestSpans } from '../../api/http/trace-span.ts';
import { PreSampledRequests } from '../../tracing/request-sampling.ts';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const traceparent = (flags: '00' | '01') => `00-${CALLER_TRACE}-${CALLER_SPAN}-${flags}`;

describe('request spans', () => {
  const exporter = new InMemorySpanExporter();
  const servers: { close(): void }[] = [];
  /** What each handler saw of its context, by path. */
  const seen = new Map<string, { suppressed: boolean; recording: boolean }>();

  before(() =>
    new NodeTracerProvider({
      // As tracing/setup.ts makes it; the ratio sampler never keeps a root span of its own here.
      sampler: new ParentBasedSampler({ root: new PreSampledRequests(new TraceIdRatioBasedSampler(0)) }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }).register(),
  );
  afterEach(() => exporter.reset());
  after(() => {
    for (const server of servers) server.close();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  /** An app as api/app.ts mounts the two middlewares, with routes that look at their context. */
  async function serve(sampleRatio: number): Promise<string> {
    const app = express();
    app.use(startRequestSpans({ endpoint: 'http://127.0.0.1:1', sampleRatio }));
    app.use(nameRequestSpans());
    const look = (req: express.Request) => {
      // A span of the request's own work, as a query or a call makes one.
      const child = trace.getTracer('test').startSpan('work');
      seen.set(req.path, { suppressed: isTracingSuppressed(context.active()), recording: child.isRecording() });
      child.end();
    };
    app.get('/things/:id', (req, res) => {
      look(req);
      res.json({ id: req.params.id });
    });
    app.post('/things', express.json({ limit: '1mb' }), (req, res) => {
      look(req);
      res.status(201).json(req.body);
    });
    app.get('/broken', (req, res) => {
      look(req);
      res.status(503).json({ title: 'down' });
    });
    app.get('/slow', (req) => {
      look(req);
      // Never answers: the client gives up.
    });
    app.get('/healthz', (req, res) => {
      look(req);
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const serverSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

  it('gives a sampled request a span named after its route, with the request’s work under it', async () => {
    const base = await serve(1);
    const response = await fetch(`${base}/things/42?token=secret`, { headers: { 'user-agent': 'spans-test' } });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const [span, ...others] = serverSpans();
    assert.ok(span, 'no server span');
    assert.equal(others.length, 0);
    assert.equal(span.name, 'GET /things/:id');
    assert.equal(span.attributes['http.route'], '/things/:id');
    assert.equal(span.attributes['http.method'], 'GET');
    assert.equal(span.attributes['http.status_code'], 200);
    // The path only: a query may carry a token.
    assert.equal(span.attributes['http.target'], '/things/42');
    assert.equal(span.attributes['http.user_agent'], 'spans-test');
    assert.equal(span.parentSpanId, undefined);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    const work = exporter.getFinishedSpans().find((s) => s.name === 'work');
    assert.equal(work?.parentSpanId, span.spanContext().spanId);
    assert.deepEqual(seen.get('/things/42'), { suppressed: false, recording: true });
  });

  it('keeps the request’s context through its body being read', async () => {
    const base = await serve(1);
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(200_000) }),
    });
    assert.equal(response.status, 201);
    await response.arrayBuffer();
    const [span] = serverSpans();
    assert.equal(span?.name, 'POST /things');
    const work = exporter.getFinishedSpans().find((s) => s.name === 'work');
    assert.equal(work?.parentSpanId, span?.spanContext().spanId);
  });

  it('continues the caller’s sampled trace, whatever the ratio', async () => {
    const base = await serve(0);
    const response = await fetch(`${base}/things/7`, { headers: { traceparent: traceparent('01') } });
    await response.arrayBuffer();
    const [span] = serverSpans();
    assert.equal(span?.spanContext().traceId, CALLER_TRACE);
    assert.equal(span?.parentSpanId, CALLER_SPAN);
  });

  for (const [what, ratio, headers] of [
    ['a request the ratio leaves out', 0, {}],
    ['a request its caller did not sample', 1, { traceparent: traceparent('00') }],
  ] as const)
    it(`makes no span for ${what}, and runs it with tracing suppressed`, async () => {
      const base = await serve(ratio);
      const response = await fetch(`${base}/things/8`, { headers });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      assert.deepEqual(exporter.getFinishedSpans(), []);
      assert.deepEqual(seen.get('/things/8'), { suppressed: true, recording: false });
    });

  it('makes no span for a probe', async () => {
    const base = await serve(1);
    const response = await fetch(`${base}/healthz`);
    assert.equal(await response.text(), 'ok');
    assert.deepEqual(exporter.getFinishedSpans(), []);
    assert.deepEqual(seen.get('/healthz'), { suppressed: true, recording: false });
  });

  it('marks a server error, and a request whose client left before the answer', async () => {
    const base = await serve(1);
    const broken = await fetch(`${base}/broken`);
    assert.equal(broken.status, 503);
    await broken.arrayBuffer();
    const [failed] = serverSpans();
    assert.equal(failed?.status.code, SpanStatusCode.ERROR);
    assert.equal(failed?.attributes['http.status_code'], 503);
    exporter.reset();

    const abandoned = httpRequest(`${base}/slow`);
    abandoned.on('error', () => {});
    abandoned.end();
    while (!seen.has('/slow')) await new Promise((resolve) => setTimeout(resolve, 5));
    abandoned.destroy();
    while (serverSpans().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const [left] = serverSpans();
    assert.equal(left?.status.code, SpanStatusCode.ERROR);
    assert.match(left?.status.message ?? '', /closed before/);
  });
});
