// The admin health page's charts of the API process's metrics history (api/metrics/history.ts):
// requests and 5xx, request duration p95, operations started and the database pool, per
// interval over the last window. Loaded lazily by ./health.tsx and only in the browser, so
// @mantine/charts and recharts are in no other page's first load (web/route-budgets.json).
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
    title: 'Operations started',
    kind: 'area',
    series: [{ name: 'operationsStarted', label: 'Started', color: 'teal.6' }],
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

export default function HealthCharts({ history }: { history: MetricsHistory }) {
  const data = history.samples.map((sample) => ({ ...sample, time: timeOf(sample.at) }));
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
              <Group gap="sm">
                {chart.series.map((series) => (
                  <Group key={series.name} gap={4} wrap="nowrap">
                    <ColorSwatch color={`var(--mantine-color-${series.color.replace('.', '-')})`} size={10} />
                    <Text size="xs" c="dimmed">
                      {series.label}
                    </Text>
                  </Group>
                ))}
              </Group>
            </Group>
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
