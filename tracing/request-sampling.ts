// Sampling decided before any work is done for a request (issue 18): the API's own middleware
// (api/http/trace-span.ts) asks `requestSampled` first, runs a request left out with tracing
// suppressed (no span, none for its queries or calls), and starts a span only for a request let
// in. That span is then always recorded (`PreSampledRequests`): the decision was made.
//
// A request left out still says so to the workflows it starts or signals (`FollowRequestSampling`
// on the API's Temporal client): they get a trace context marked "not sampled", so the worker,
// which follows its caller's decision, leaves the operation out too. An operation is traced
// whole or not at all, as when the sampler decided for every span.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Attributes, Context, Link } from '@opentelemetry/api';
import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Whether a request is traced: as its caller decided when it carries a W3C `traceparent`
 * (parent-based, as the worker follows the API), else at random with the configured ratio.
 */
export function requestSampled(
  request: Pick<IncomingMessage, 'headers'>,
  ratio: number,
  random = Math.random,
): boolean {
  const parent =
    request.headers.traceparent === undefined
      ? undefined
      : trace.getSpanContext(propagation.extract(ROOT_CONTEXT, request.headers));
  if (parent) return (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
  // No traceparent, or a malformed one (no decision): the request starts a trace of its own.
  return ratio >= 1 || random() < ratio;
}

/**
 * The root sampler of a process whose incoming requests were sampled by `requestSampled`:
 * a server span (an incoming request that got past the hook) is recorded; any other span
 * without a parent (a background job's) is left to `others`, the ratio sampler.
 */
export class PreSampledRequests implements Sampler {
  private readonly others: Sampler;

  constructor(others: Sampler) {
    this.others = others;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (spanKind === SpanKind.SERVER) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.others.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `PreSampledRequests{others=${this.others.toString()}}`;
  }
}

/** Set in the context of a request left out (`unsampledRequest`), for the Temporal client to see. */
const UNSAMPLED_REQUEST = createContextKey('atrium.unsampled-request');

/**
 * The context a request left out runs in: tracing suppressed (no span for its queries and
 * calls), and marked, so that the workflows it starts or signals are left out too.
 */
export function unsampledRequest(active: Context): Context {
  return suppressTracing(active).setValue(UNSAMPLED_REQUEST, true);
}

/**
 * A context whose span is a stand-in marked "not sampled", when the active one is an unsampled
 * request's; null otherwise. Tracing is suppressed in such a request, which would send no
 * trace context at all; this one is sent, and says no.
 */
function unsampledParent(): Context | null {
  if (context.active().getValue(UNSAMPLED_REQUEST) !== true) return null;
  return trace.setSpan(
    ROOT_CONTEXT,
    trace.wrapSpanContext({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: TraceFlags.NONE,
    }),
  );
}

function followed<T>(call: () => Promise<T>): Promise<T> {
  const parent = unsampledParent();
  return parent ? context.with(parent, call) : call();
}

/**
 * The API's Temporal client interceptor, outside OpenTelemetry's: a call made for an unsampled
 * request carries a "not sampled" trace context to the workflow.
 */
export class FollowRequestSampling implements WorkflowClientInterceptor {
  start: NonNullable<WorkflowClientInterceptor['start']> = (input, next) => followed(() => next(input));
  startWithDetails: NonNullable<WorkflowClientInterceptor['startWithDetails']> = (input, next) =>
    followed(() => next(input));
  startUpdate: NonNullable<WorkflowClientInterceptor['startUpdate']> = (input, next) => followed(() => next(input));
  startUpdateWithStart: NonNullable<WorkflowClientInterceptor['startUpdateWithStart']> = (input, next) =>
    followed(() => next(input));
  signal: NonNullable<WorkflowClientInterceptor['signal']> = (input, next) => followed(() => next(input));
  signalWithStart: NonNullable<WorkflowClientInterceptor['signalWithStart']> = (input, next) =>
    followed(() => next(input));
  query: NonNullable<WorkflowClientInterceptor['query']> = (input, next) => followed(() => next(input));
  terminate: NonNullable<WorkflowClientInterceptor['terminate']> = (input, next) => followed(() => next(input));
  cancel: NonNullable<WorkflowClientInterceptor['cancel']> = (input, next) => followed(() => next(input));
  describe: NonNullable<WorkflowClientInterceptor['describe']> = (input, next) => followed(() => next(input));
}
