// Incoming requests are sampled before any span is made for them (tracing/request-sampling.ts;
// api/http/trace-span.ts, tested over HTTP in request-spans.test.ts): the caller's decision when a traceparent carries one, else the
// ratio; the span of a request let in is always recorded, other root spans follow the ratio.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  NodeTracerProvider,
  ParentBasedSampler,
  SamplingDecision,
} from '@opentelemetry/sdk-trace-node';
import type { WorkflowStartInput } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import {
  FollowRequestSampling,
  PreSampledRequests,
  requestSampled,
  unsampledRequest,
} from '../../tracing/request-sampling.ts';

const traceparent = (flags: '00' | '01') => `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}`;
const request = (headers: Record<string, string> = {}) => ({ headers });

describe('request sampling', () => {
  // The W3C propagator, as the tracer provider registers it in the API and the worker.
  before(() => new NodeTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) }).register());
  after(() => {
    trace.disable();
    propagation.disable();
  });

  it('follows the caller: a sampled traceparent is traced, an unsampled one is not, whatever the ratio', () => {
    assert.equal(requestSampled(request({ traceparent: traceparent('01') }), 0), true);
    assert.equal(requestSampled(request({ traceparent: traceparent('00') }), 1), false);
  });

  it('without a caller decision, keeps the configured share of requests', () => {
    assert.equal(requestSampled(request(), 1), true);
    assert.equal(requestSampled(request(), 0), false);
    assert.equal(
      requestSampled(request(), 0.1, () => 0.05),
      true,
    );
    assert.equal(
      requestSampled(request(), 0.1, () => 0.5),
      false,
    );
    let kept = 0;
    for (let i = 0; i < 10_000; i++) if (requestSampled(request(), 0.25)) kept++;
    assert.ok(kept > 2_200 && kept < 2_800, `kept ${kept} of 10,000 at 0.25`);
  });

  it('treats a malformed traceparent as no decision', () => {
    assert.equal(requestSampled(request({ traceparent: 'not-a-traceparent' }), 1), true);
    assert.equal(requestSampled(request({ traceparent: 'not-a-traceparent' }), 0), false);
  });

  it('records every server span (sampled already) and leaves other root spans to the ratio', () => {
    const sampler = new PreSampledRequests(new AlwaysOffSampler());
    const ask = (kind: SpanKind) =>
      sampler.shouldSample(ROOT_CONTEXT, '0af7651916cd43dd8448eb211c80319c', 'span', kind, {}, []).decision;
    assert.equal(ask(SpanKind.SERVER), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(ask(SpanKind.INTERNAL), SamplingDecision.NOT_RECORD);
    assert.equal(ask(SpanKind.CLIENT), SamplingDecision.NOT_RECORD);
  });

  describe('a workflow started for a request', () => {
    const follow = new FollowRequestSampling();
    const otel = new OpenTelemetryWorkflowClientInterceptor();
    /** The traceparent the workflow receives in its start header (undefined: none). */
    async function traceparentSent(): Promise<string | undefined> {
      let sent: string | undefined;
      const input = {
        workflowType: 'provisionTenant',
        headers: {},
        options: { workflowId: 'w-1' },
      } as unknown as WorkflowStartInput;
      await follow.start(input, (outer) =>
        otel.start(outer, (inner) => {
          const header = inner.headers['_tracer-data'];
          sent = header ? defaultPayloadConverter.fromPayload<{ traceparent?: string }>(header).traceparent : undefined;
          return Promise.resolve('run-1');
        }),
      );
      return sent;
    }
    it('of a request left out carries "not sampled", so the worker leaves it out too', async () => {
      const sent = await context.with(unsampledRequest(context.active()), traceparentSent);
      assert.match(sent ?? 'none', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    });

    it('outside any request is sampled as a new trace', async () => {
      assert.match((await traceparentSent()) ?? 'none', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });
  });
});
