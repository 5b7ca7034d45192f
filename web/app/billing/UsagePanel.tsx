import { Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { UsageSummary } from '../../../contracts/index.ts';

type MeterUsage = UsageSummary['meters'][number];

const DAY_MS = 86_400_000;
const numbers = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

/**
 * The tenant's usage per meter over the last 30 days, a bar per day. Plain SVG drawn with the
 * theme's colours: one chart per meter is a few dozen rectangles, not worth a chart library in
 * the page's first load. Each bar says its day and quantity (hover, and to screen readers).
 */
export function UsagePanel({ usage }: { usage: UsageSummary | null }) {
  return (
    <Paper withBorder p="md" data-testid="usage-panel">
      <Title order={2} size="h4" mb={4}>
        Usage, last 30 days
      </Title>
      {usage === null ? (
        <Text c="dimmed" size="sm" data-testid="usage-unavailable">
          Usage cannot be shown right now; the rest of the page is up to date.
        </Text>
      ) : (
        <UsageCharts usage={usage} />
      )}
    </Paper>
  );
}

function UsageCharts({ usage }: { usage: UsageSummary }) {
  const used = usage.meters.filter((meter) => meter.events > 0);
  if (used.length === 0)
    return (
      <Text c="dimmed" size="sm" data-testid="usage-empty">
        No usage in this period. Atrium counts API requests and synced records itself; your systems report theirs with
        an API key (POST /api/v1/usage).
      </Text>
    );
  const days = dayStarts(usage.from, usage.to);
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" mt="sm">
      {used.map((meter) => (
        <MeterChart key={meter.meter} meter={meter} days={days} />
      ))}
    </SimpleGrid>
  );
}

function MeterChart({ meter, days }: { meter: MeterUsage; days: number[] }) {
  const byDay = new Map(meter.buckets.map((bucket) => [Date.parse(bucket.start), bucket.quantity]));
  const values = days.map((day) => byDay.get(day) ?? 0);
  const max = Math.max(...values, 1);
  const width = 300;
  const height = 80;
  const slot = width / values.length;
  return (
    <Stack gap={4} data-testid="usage-meter" data-meter={meter.meter}>
      <Group justify="space-between" gap="xs" wrap="nowrap">
        <Text fw={500} size="sm">
          {meter.label}
        </Text>
        <Text size="sm" data-testid="usage-total">
          {numbers.format(meter.total)} {meter.unit}
          {meter.total === 1 ? '' : 's'}
        </Text>
      </Group>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        role="img"
        aria-label={`${meter.label} per day: ${numbers.format(meter.total)} ${meter.unit}s in all`}
        preserveAspectRatio="none"
      >
        <line x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} stroke="var(--mantine-color-gray-4)" />
        {values.map((value, index) => {
          const barHeight = value === 0 ? 0 : Math.max(2, (value / max) * (height - 4));
          return (
            <rect
              key={days[index]}
              x={index * slot + slot * 0.15}
              y={height - barHeight}
              width={slot * 0.7}
              height={barHeight}
              fill="var(--mantine-color-blue-6)"
              data-testid="usage-bar"
            >
              <title>{`${new Date(days[index]!).toISOString().slice(0, 10)}: ${numbers.format(value)}`}</title>
            </rect>
          );
        })}
      </svg>
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed">
          {dayLabel(days[0]!)}
        </Text>
        <Text size="xs" c="dimmed">
          {dayLabel(days.at(-1)!)}
        </Text>
      </Group>
    </Stack>
  );
}

const dayLabel = (day: number) =>
  new Date(day).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** The UTC day starts from `from` up to `to` (the summary's buckets are UTC days). */
function dayStarts(from: string, to: string): number[] {
  const days: number[] = [];
  for (let day = Math.floor(Date.parse(from) / DAY_MS) * DAY_MS; day < Date.parse(to); day += DAY_MS) days.push(day);
  return days;
}
