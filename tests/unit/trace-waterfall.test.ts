// The pure parts of the operation page's trace: Jaeger's JSON turned into the contract's
// trace (tracing/jaeger-query.ts), and the waterfall's rows (web/…/waterfall-layout.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceSpan } from '../../contracts/operations.ts';
import { OperationTrace } from '../../contracts/operations.ts';
import { toOperationTrace } from '../../tracing/jaeger-query.ts';
import {
  formatSpanDuration,
  MIN_WIDTH_PCT,
  waterfallRows,
} from '../../web/app/components/operations/waterfall-layout.ts';

const span = (spanId: string, parentSpanId: string | null, startMs: number, durationMs: number): TraceSpan => ({
  spanId,
  parentSpanId,
  name: spanId,
  service: 'atrium-api',
  kind: 'other',
  startMs,
  durationMs,
  error: false,
});

describe('waterfall layout', () => {
  it('puts each parent before its children, children by start, with their depth', () => {
    const rows = waterfallRows(
      [span('b', 'root', 50, 10), span('root', null, 0, 100), span('a', 'root', 10, 20), span('a1', 'a', 12, 5)],
      100,
    );
    assert.deepEqual(
      rows.map((r) => [r.span.spanId, r.depth]),
      [
        ['root', 0],
        ['a', 1],
        ['a1', 2],
        ['b', 1],
      ],
    );
  });

  it('places bars as percentages of the whole trace', () => {
    const rows = waterfallRows([span('root', null, 0, 200), span('half', 'root', 100, 50)], 200);
    assert.deepEqual(
      rows.map((r) => [r.offsetPct, r.widthPct]),
      [
        [0, 100],
        [50, 25],
      ],
    );
  });

  it('gives a zero-length span a visible bar that stays inside the track', () => {
    const [root, instant, last] = waterfallRows(
      [span('root', null, 0, 100), span('instant', 'root', 40, 0), span('last', 'root', 100, 0)],
      100,
    );
    assert.equal(root!.widthPct, 100);
    assert.equal(instant!.widthPct, MIN_WIDTH_PCT);
    assert.ok(last!.offsetPct + last!.widthPct <= 100 + MIN_WIDTH_PCT);
  });

  it('draws a span whose parent is missing as a root, and each span once in a cycle', () => {
    const rows = waterfallRows([span('orphan', 'gone', 5, 1), span('x', 'y', 0, 1), span('y', 'x', 0, 1)], 10);
    assert.deepEqual(
      rows.map((r) => r.span.spanId),
      ['orphan', 'x', 'y'],
    );
  });

  it('copes with an empty trace and a trace of zero length', () => {
    assert.deepEqual(waterfallRows([], 0), []);
    const [only] = waterfallRows([span('only', null, 0, 0)], 0);
    assert.deepEqual([only!.offsetPct, only!.widthPct], [0, 100]);
  });

  it('reads durations the way people do', () => {
    assert.equal(formatSpanDuration(0.85), '850 µs');
    assert.equal(formatSpanDuration(3.25), '3.3 ms');
    assert.equal(formatSpanDuration(412.4), '412 ms');
    assert.equal(formatSpanDuration(4200), '4.20 s');
  });
});

describe("Jaeger's trace as the contract's", () => {
  it('makes times relative to the first span, links parents and names what each span is', () => {
    const trace = toOperationTrace({
      traceID: 'abc',
      processes: { p1: { serviceName: 'atrium-api' }, p2: { serviceName: 'atrium-worker' } },
      spans: [
        {
          traceID: 'abc',
          spanID: 'act',
          operationName: 'RunActivity:createTenantSchema',
          references: [{ refType: 'CHILD_OF', spanID: 'wf' }],
          startTime: 1_000_500_000,
          duration: 2_000,
          processID: 'p2',
        },
        {
          traceID: 'abc',
          spanID: 'req',
          operationName: 'POST /api/v1/tenants',
          startTime: 1_000_000_000,
          duration: 10_000,
          tags: [{ key: 'span.kind', value: 'server' }],
          processID: 'p1',
        },
        {
          traceID: 'abc',
          spanID: 'wf',
          operationName: 'RunWorkflow:provisionTenant',
          references: [{ refType: 'CHILD_OF', spanID: 'req' }],
          startTime: 1_000_400_000,
          duration: 300_000,
          processID: 'p2',
        },
        {
          traceID: 'abc',
          spanID: 'sql',
          operationName: 'pg.query:INSERT',
          references: [{ refType: 'CHILD_OF', spanID: 'act' }],
          startTime: 1_000_500_500,
          duration: 500,
          tags: [
            { key: 'db.system', value: 'postgresql' },
            { key: 'otel.status_code', value: 'ERROR' },
          ],
          processID: 'p2',
        },
        {
          traceID: 'abc',
          spanID: 'lost',
          operationName: 'GET',
          references: [{ refType: 'CHILD_OF', spanID: 'not-kept' }],
          startTime: 1_000_600_000,
          duration: 1_000,
          tags: [{ key: 'span.kind', value: 'client' }],
          processID: 'p2',
        },
      ],
    });
    assert.ok(OperationTrace.safeParse(trace).success);
    assert.equal(trace.startedAt, new Date(1_000_000).toISOString());
    assert.equal(trace.durationMs, 700);
    assert.deepEqual(
      trace.spans.map((s) => [s.spanId, s.parentSpanId, s.kind, s.service, s.startMs, s.durationMs, s.error]),
      [
        ['req', null, 'request', 'atrium-api', 0, 10, false],
        ['wf', 'req', 'workflow', 'atrium-worker', 400, 300, false],
        ['act', 'wf', 'activity', 'atrium-worker', 500, 2, false],
        ['sql', 'act', 'database', 'atrium-worker', 500.5, 0.5, true],
        ['lost', null, 'call', 'atrium-worker', 600, 1, false],
      ],
    );
  });
});
