// The waterfall's geometry, apart from React so it can be tested alone: spans in tree order
// (each parent followed by its children, children by start time), each with its depth and
// its bar's left edge and width as percentages of the whole trace.
import type { TraceSpan } from '../../../../contracts/index.ts';

export interface WaterfallRow {
  span: TraceSpan;
  depth: number;
  /** Where the bar starts, 0–100 (% of the trace's duration). */
  offsetPct: number;
  /** The bar's width, % of the trace's duration; never below MIN_WIDTH_PCT so that a 0 ms span shows. */
  widthPct: number;
}

export const MIN_WIDTH_PCT = 0.5;

export function waterfallRows(spans: readonly TraceSpan[], totalMs: number): WaterfallRow[] {
  const total = Math.max(totalMs, ...spans.map((s) => s.startMs + s.durationMs), 0);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, TraceSpan[]>();
  for (const span of spans) {
    // A span whose parent is not in the trace is drawn as a root.
    const parent = span.parentSpanId !== null && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId));

  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (span: TraceSpan, depth: number): void => {
    if (seen.has(span.spanId)) return; // each span once, even in a cycle
    seen.add(span.spanId);
    const offsetPct = total > 0 ? (span.startMs / total) * 100 : 0;
    const rawWidth = total > 0 ? (span.durationMs / total) * 100 : 100;
    const widthPct = Math.min(Math.max(rawWidth, MIN_WIDTH_PCT), 100 - Math.min(offsetPct, 100 - MIN_WIDTH_PCT));
    rows.push({ span, depth, offsetPct, widthPct });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  // Spans in a parent cycle (bad data) reach no root: drawn at the end, as roots.
  for (const span of spans) visit(span, 0);
  return rows;
}

/** A duration as people read it: 850 µs, 12.3 ms, 4.20 s. */
export function formatSpanDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
