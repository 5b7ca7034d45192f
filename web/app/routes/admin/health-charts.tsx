// The admin health page's charts of the API process's metrics history (api/metrics/history.ts):
// requests and 5xx, request duration p95, operations started (by this process) and ended (by
// every worker, as Temporal counts them) and the database pool, per interval over the last
// window. Loaded lazily by ./health.tsx and only in the browser, so @mantine/charts and
// recharts are in no other page's first load (web/route-budgets.json).
import '@mantine/charts/styles.layer.css';
import { AreaChart, LineChart } from '@mantine/charts';
import { ColorSwatch, Group, Paper, SimpleGrid, Text } from '@mantine/core';
import type { MetricsHistory, MetricsSample } from '../../../../contracts/index.ts';

interface Series {
  name: keyof Omit<MetricsSample, 'at'>;
  label: string;
  color: string;
}

interface ChartSpec {
  id: string;
  title: string;
  kind: 'line' | 'area';
  unit?: string;
  /** Says where the numbers come from when that is not this process alone. */
  note?: string;
  series: Series[];
}

const CHARTS: ChartSpec[] = [
  {
    id: 'requests',
    title: 'Requests',
    kind: 'line',
    series: [
      { name: 'httpRequests', label: 'Requests', color: 'blue.6' },
      { name: 'httpServerErrors', label: '5xx', color: 'red.6' },
    ],
  },
  {
    id: 'latency',
    title: 'Request duration (p95)',
    kind: 'line',
    unit: ' ms',
    series: [{ name: 'httpP95Ms', label: 'p95', color: 'grape.6' }],
  },
  {
    id: 'operations',
    title: 'Operations',
    kind: 'line',
    note: 'Started through this process; ended on every worker, as Temporal counts them.',
    series: [
      { name: 'operationsStarted', label: 'Started', color: 'blue.6' },
      { name: 'operationsCompleted', label: 'Completed', color: 'teal.6' },
      { name: 'operationsFailed', label: 'Failed or timed out', color: 'red.6' },
      { name: 'operationsCancelled', label: 'Cancelled or terminated', color: 'gray.6' },
    ],
  },
  {
    id: 'pool',
    title: 'Database pool',
    kind: 'area',
    series: [
      { name: 'databasePoolInUse', label: 'In use', color: 'indigo.6' },
      { name: 'databasePoolWaiting', label: 'Waiting', color: 'orange.6' },
    ],
  },
];

const timeOf = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Intervals for which Temporal did not say how many operations ended (absent: an older API). */
const unknownEnds = (samples: MetricsSample[]) =>
  samples.filter((sample) => sample.operationsCompleted === null || sample.operationsCompleted === undefined).length;

export default function HealthCharts({ history }: { history: MetricsHistory }) {
  // Unknown is drawn as a gap, never as zero.
  const data = history.samples.map((sample) => ({
    ...sample,
    operationsCompleted: sample.operationsCompleted ?? null,
    operationsFailed: sample.operationsFailed ?? null,
    operationsCancelled: sample.operationsCancelled ?? null,
    time: timeOf(sample.at),
  }));
  const unknown = unknownEnds(history.samples);
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} data-testid="metrics-charts">
      {CHARTS.map((chart) => {
        const total = history.samples.reduce(
          (sum, sample) => sum + chart.series.reduce((inner, { name }) => inner + Number(sample[name] ?? 0), 0),
          0,
        );
        const Chart = chart.kind === 'line' ? LineChart : AreaChart;
        return (
          <Paper key={chart.id} withBorder p="sm" data-testid="metrics-chart" data-chart={chart.id} data-total={total}>
            <Group justify="space-between" gap="xs" mb="xs">
              <Text fw={600} size="sm">
                {chart.title}
              </Text>
              <Group gap="sm" role="list" aria-label={`${chart.title}: series`}>
                {chart.series.map((series) => (
                  <Group key={series.name} gap={4} wrap="nowrap" role="listitem">
                    <ColorSwatch color={`var(--mantine-color-${series.color.replace('.', '-')})`} size={10} />
                    <Text size="xs" c="dimmed">
                      {series.label}
                    </Text>
                  </Group>
                ))}
              </Group>
            </Group>
            {chart.note ? (
              <Text size="xs" c="dimmed" mb="xs">
                {chart.note}
              </Text>
            ) : null}
            {chart.id === 'operations' && unknown > 0 ? (
              <Text size="xs" c="orange.8" mb="xs" data-testid="operation-ends-unknown">
                Temporal did not answer for {unknown} of {history.samples.length} intervals: how many operations ended
                then is unknown (a gap in those lines).
              </Text>
            ) : null}
            <Chart
              h={160}
              data={data}
              dataKey="time"
              series={chart.series.map(({ name, label, color }) => ({ name, label, color }))}
              curveType="linear"
              withDots={false}
              connectNulls={false}
              unit={chart.unit}
              tickLine="none"
              xAxisProps={{ minTickGap: 32 }}
              yAxisProps={{ width: 40, allowDecimals: chart.id === 'latency' }}
              {...(chart.kind === 'area' ? { withGradient: false, fillOpacity: 0.25 } : {})}
            />
          </Paper>
        );
      })}
    </SimpleGrid>
  );
}
