// Reads an operation's trace back from Jaeger's query API (its JSON /api/traces endpoints) for
// the waterfall on the operation page. The trace is the one of the API request that started
// the operation: its StartWorkflow span (made by the Temporal client interceptor) carries the
// workflow id, and the workflow's and activities' spans continue that trace.
import type { OperationTrace, TraceSpan, TraceSpanKind } from '../contracts/operations.ts';

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; spanID: string }[];
  startTime: number; // µs since the epoch
  duration: number; // µs
  tags?: { key: string; value: unknown }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** How far back the search looks: operations older than this show no trace. */
const LOOKBACK = '48h';
const QUERY_TIMEOUT_MS = 5_000;

const tag = (span: JaegerSpan, key: string) => span.tags?.find((t) => t.key === key)?.value;

const isStart = (span: JaegerSpan) =>
  /^(StartWorkflow|SignalWithStartWorkflow|UpdateWithStartWorkflow):/.test(span.operationName);

function kindOf(span: JaegerSpan): TraceSpanKind {
  const name = span.operationName;
  if (
    /^(StartWorkflow|SignalWithStartWorkflow|UpdateWithStartWorkflow|RunWorkflow|StartActivity|StartChildWorkflowExecution|SignalWorkflow|HandleSignal|HandleUpdate):/.test(
      name,
    )
  )
    return 'workflow';
  if (name.startsWith('RunActivity:')) return 'activity';
  if (tag(span, 'db.system') !== undefined) return 'database';
  if (tag(span, 'span.kind') === 'server') return 'request';
  if (tag(span, 'span.kind') === 'client') return 'call';
  return 'other';
}

/** Jaeger's trace → the contract's, every time relative to the first span. Pure. */
export function toOperationTrace(trace: JaegerTrace): OperationTrace {
  const spans = [...trace.spans].sort((a, b) => a.startTime - b.startTime || a.spanID.localeCompare(b.spanID));
  const first = spans[0]?.startTime ?? 0;
  const end = Math.max(first, ...spans.map((s) => s.startTime + s.duration));
  const ids = new Set(spans.map((s) => s.spanID));
  return {
    traceId: trace.traceID,
    startedAt: new Date(first / 1000).toISOString(),
    durationMs: (end - first) / 1000,
    spans: spans.map((span): TraceSpan => {
      const parent = span.references?.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID ?? null;
      return {
        spanId: span.spanID,
        parentSpanId: parent,
        name: span.operationName,
        service: trace.processes[span.processID]?.serviceName ?? 'unknown',
        kind: kindOf(span),
        startMs: (span.startTime - first) / 1000,
        durationMs: span.duration / 1000,
        error: tag(span, 'error') === true || tag(span, 'otel.status_code') === 'ERROR',
      };
    }),
  };
}

export interface TraceReader {
  /** The trace that started the operation (a workflow of `workflowType`), or null when Jaeger has none (yet). */
  operationTrace(workflowId: string, workflowType: string): Promise<OperationTrace | null>;
}

export function createJaegerTraceReader(queryUrl: string, service = 'atrium-api'): TraceReader {
  async function get(path: string, params: Record<string, string>): Promise<JaegerTrace[]> {
    const url = new URL(path, `${queryUrl}/`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`Jaeger query API answered ${response.status} for ${url.pathname}`);
    const body = (await response.json()) as { data?: JaegerTrace[] | null };
    return body.data ?? [];
  }
  return {
    async operationTrace(workflowId, workflowType) {
      // Only the start's span: the same tag is on every later query of the operation (each
      // poll of its page is a trace of its own), which would crowd the start out of the limit.
      const found = await get('api/traces', {
        service,
        operation: `StartWorkflow:${workflowType}`,
        tags: JSON.stringify({ temporalWorkflowId: workflowId }),
        lookback: LOOKBACK,
        limit: '50',
      });
      // The earliest trace whose StartWorkflow span names this workflow (a repeated start, an
      // "already started" answer, makes a later one).
      const starts = found
        .map((t) => ({
          trace: t,
          start: t.spans.find((s) => isStart(s) && tag(s, 'temporalWorkflowId') === workflowId),
        }))
        .filter((entry): entry is { trace: JaegerTrace; start: JaegerSpan } => entry.start !== undefined)
        .sort((a, b) => a.start.startTime - b.start.startTime);
      const first = starts[0];
      if (!first) return null;
      // The search may cut traces short; read the whole one.
      const [whole] = await get(`api/traces/${encodeURIComponent(first.trace.traceID)}`, {});
      return whole ? toOperationTrace(whole) : null;
    },
  };
}
