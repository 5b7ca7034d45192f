import { Alert, Badge, Box, Group, Paper, Stack, Text, Title, Tooltip } from '@mantine/core';
import type { OperationTrace, TraceSpanKind } from '../../../../contracts/index.ts';
import { formatSpanDuration, waterfallRows } from './waterfall-layout.ts';

/** What the operation page knows of the trace (its loader asks GET /api/v1/operations/:id/trace). */
export type TraceState =
  | { status: 'found'; trace: OperationTrace }
  | { status: 'off' }
  | { status: 'pending' }
  | { status: 'unavailable'; message: string };

const KIND_COLOR: Record<TraceSpanKind, string> = {
  request: 'blue',
  workflow: 'violet',
  activity: 'teal',
  database: 'orange',
  call: 'cyan',
  other: 'gray',
};

const KIND_LABEL: Record<TraceSpanKind, string> = {
  request: 'API request',
  workflow: 'workflow',
  activity: 'activity',
  database: 'PostgreSQL',
  call: 'outgoing call',
  other: 'other',
};

/** Indentation per level of the span tree, capped so deep trees still fit a phone. */
const INDENT_PX = 10;
const MAX_INDENT_LEVELS = 6;

/**
 * The trace of the request that started the operation, as a waterfall: one row per span in
 * tree order, each a label line and a bar on the trace's time axis (two lines, so it reads
 * the same on a phone and a desktop).
 */
export function TraceWaterfall({ state }: { state: TraceState }) {
  return (
    <Paper withBorder p="md" data-testid="operation-trace">
      <Title order={2} size="h4" mb="sm">
        Trace
      </Title>
      {state.status === 'off' ? (
        <Text size="sm" c="dimmed" data-testid="trace-off">
          Tracing is off, so this operation has no trace. docs/operations.md says how to turn it on.
        </Text>
      ) : state.status === 'pending' ? (
        <Text size="sm" c="dimmed" data-testid="trace-pending">
          No trace of this operation has reached the trace store yet. Reload the page in a moment.
        </Text>
      ) : state.status === 'unavailable' ? (
        <Alert color="yellow" title="The trace could not be read" data-testid="trace-unavailable">
          {state.message}
        </Alert>
      ) : (
        <Waterfall trace={state.trace} />
      )}
    </Paper>
  );
}

function Waterfall({ trace }: { trace: OperationTrace }) {
  const rows = waterfallRows(trace.spans, trace.durationMs);
  const kinds = [...new Set(rows.map((row) => row.span.kind))];
  return (
    <Stack gap="xs" data-testid="trace-waterfall" data-trace-id={trace.traceId}>
      <Group gap="xs" justify="space-between">
        <Text size="xs" ff="monospace" c="dimmed" style={{ overflowWrap: 'anywhere' }} data-testid="trace-id">
          {trace.traceId}
        </Text>
        <Text size="xs" c="dimmed">
          {rows.length} spans · {formatSpanDuration(trace.durationMs)}
        </Text>
      </Group>
      <Group gap={6}>
        {kinds.map((kind) => (
          <Badge key={kind} color={KIND_COLOR[kind]} variant="light" size="sm">
            {KIND_LABEL[kind]}
          </Badge>
        ))}
      </Group>
      <Stack gap={6} role="list" aria-label="Spans">
        {rows.map(({ span, depth, offsetPct, widthPct }) => (
          <Box
            key={span.spanId}
            role="listitem"
            data-testid="trace-span"
            data-kind={span.kind}
            style={{ paddingLeft: Math.min(depth, MAX_INDENT_LEVELS) * INDENT_PX }}
          >
            <Group gap={6} wrap="nowrap" justify="space-between">
              <Text
                size="xs"
                truncate="end"
                title={`${span.name} (${span.service})`}
                c={span.error ? 'red' : undefined}
              >
                {span.name}
              </Text>
              <Text size="xs" c="dimmed" style={{ flexShrink: 0 }}>
                {formatSpanDuration(span.durationMs)}
              </Text>
            </Group>
            <Tooltip label={`${span.service} · starts at ${formatSpanDuration(span.startMs)}`} withinPortal>
              <Box
                style={{
                  position: 'relative',
                  height: 8,
                  borderRadius: 4,
                  background: 'var(--mantine-color-default-border)',
                }}
              >
                <Box
                  style={{
                    position: 'absolute',
                    left: `${offsetPct}%`,
                    width: `${widthPct}%`,
                    top: 0,
                    bottom: 0,
                    borderRadius: 4,
                    background: `var(--mantine-color-${span.error ? 'red' : KIND_COLOR[span.kind]}-6)`,
                  }}
                />
              </Box>
            </Tooltip>
          </Box>
        ))}
      </Stack>
    </Stack>
  );
}
