// /admin/health: the platform's dependencies as GET /api/v1/admin/health reports them (each
// checked at load), the workers polling each family's queue, and the key numbers of the API
// process that answered, with charts of their last window (./health-charts.tsx, loaded lazily in
// the browser: the charts library is in no other page's first load). Platform admins only;
// "Check again" reloads.
import { Alert, Badge, Button, Card, Group, Loader, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMounted } from '@mantine/hooks';
import { lazy, Suspense } from 'react';
import { Form } from 'react-router';
import type { Route } from './+types/health';
import { loadFromApi } from '../../api/client.server.ts';
import type {
  ComponentHealth,
  HealthStatus,
  MetricsHistory,
  PlatformHealth,
  TaskQueueHealth,
} from '../../../../contracts/index.ts';
import { Timestamp } from '../../components/Timestamp.tsx';
import { requirePlatformAdmin } from '../../session.server.ts';

const HealthCharts = lazy(() => import('./health-charts.tsx'));

export const meta: Route.MetaFunction = () => [{ title: 'Platform health · Atrium' }];

export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  return loadFromApi<PlatformHealth>(context, '/api/v1/admin/health', { signal: request.signal, token: accessToken });
}

const STATUS_BADGE: Record<HealthStatus, { color: string; text: string }> = {
  up: { color: 'green', text: 'up' },
  down: { color: 'red', text: 'down' },
  'not-configured': { color: 'gray', text: 'not configured' },
};

export default function HealthPage({ loaderData: health }: Route.ComponentProps) {
  const down = health.components.filter((component) => component.status === 'down');
  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1}>Platform health</Title>
          <Group gap="xs">
            <Text c="dimmed" size="sm">
              Checked
            </Text>
            <Timestamp value={health.checkedAt} c="dimmed" />
          </Group>
        </div>
        <Form method="get">
          <Button type="submit" variant="light">
            Check again
          </Button>
        </Form>
      </Group>
      {health.status === 'up' ? (
        <Alert color="green" title="Everything answers" data-testid="health-summary" data-status="up">
          Every configured component is up and workers poll every queue.
        </Alert>
      ) : (
        <Alert color="red" title="The platform is degraded" data-testid="health-summary" data-status="degraded">
          {down.length > 0
            ? `Down: ${down.map((component) => component.label).join(', ')}.`
            : 'Every component answers, but not every queue has workers polling it.'}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} data-testid="health-components">
        {health.components.map((component) => (
          <ComponentCard key={component.component} component={component} />
        ))}
      </SimpleGrid>
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Workers
        </Title>
        <TaskQueues queues={health.taskQueues} />
      </Paper>
      <Paper withBorder p="md" data-testid="health-metrics">
        <Title order={2} size="h4">
          This API process
        </Title>
        <Group gap="xs" mb="sm">
          <Text size="sm" c="dimmed">
            Since
          </Text>
          <Timestamp value={health.metrics.since} c="dimmed" />
          <Text size="sm" c="dimmed">
            (each replica counts its own; Prometheus has them all)
          </Text>
        </Group>
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Figure label="Requests" value={health.metrics.httpRequests} />
          <Figure label="Server errors (5xx)" value={health.metrics.httpServerErrors} alert />
          <Figure
            label="Operations started"
            value={health.metrics.operationsStarted.reduce((sum, { count }) => sum + count, 0)}
          />
          <Figure
            label="Database pool in use"
            value={
              health.metrics.databasePool
                ? `${health.metrics.databasePool.total - health.metrics.databasePool.idle} / ${health.metrics.databasePool.total}`
                : '—'
            }
            alert={(health.metrics.databasePool?.waiting ?? 0) > 0}
          />
        </SimpleGrid>
        {health.metrics.operationsStarted.length > 0 ? (
          <Group gap="xs" mt="sm">
            {health.metrics.operationsStarted.map(({ kind, count }) => (
              <Badge key={kind} variant="light" tt="none">
                {kind}: {count}
              </Badge>
            ))}
          </Group>
        ) : null}
        <MetricsCharts history={health.metrics.history} />
      </Paper>
    </Stack>
  );
}

function MetricsCharts({ history }: { history: MetricsHistory }) {
  const mounted = useMounted();
  const span =
    history.windowSeconds >= 60 ? `${Math.round(history.windowSeconds / 60)} min` : `${history.windowSeconds} s`;
  return (
    <Stack gap="xs" mt="md">
      <Text size="sm" c="dimmed">
        Per {history.intervalSeconds} s over the last {span}
      </Text>
      {history.samples.length === 0 ? (
        <Alert color="gray" title="No samples yet" data-testid="metrics-charts-empty">
          This process reads its metrics every {history.intervalSeconds} s; the first reading arrives that long after it
          starts. Check again in a moment.
        </Alert>
      ) : mounted ? (
        <Suspense fallback={<ChartsLoading />}>
          <HealthCharts history={history} />
        </Suspense>
      ) : (
        <ChartsLoading />
      )}
    </Stack>
  );
}

function ChartsLoading() {
  return (
    <Group justify="center" mih={160}>
      <Loader size="sm" aria-label="Loading charts" />
    </Group>
  );
}

function ComponentCard({ component }: { component: ComponentHealth }) {
  const badge = STATUS_BADGE[component.status];
  return (
    <Card withBorder data-testid="health-component" data-component={component.component} data-status={component.status}>
      <Group justify="space-between" wrap="nowrap">
        <Text fw={600}>{component.label}</Text>
        <Badge color={badge.color}>{badge.text}</Badge>
      </Group>
      <Text size="sm" c="dimmed">
        {component.adapter}
        {component.latencyMs !== null ? ` · ${component.latencyMs} ms` : ''}
      </Text>
      {component.status === 'not-configured' ? (
        <Text size="sm" mt="xs">
          Runs on its embedded default; nothing to reach.
        </Text>
      ) : null}
      {component.lastError ? (
        <Alert
          mt="xs"
          color={component.status === 'down' ? 'red' : 'yellow'}
          title={component.status === 'down' ? 'Error' : 'Last error'}
          p="xs"
        >
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {component.lastError.message}
          </Text>
          <Timestamp value={component.lastError.at} size="xs" c="dimmed" />
        </Alert>
      ) : null}
    </Card>
  );
}

function TaskQueues({ queues }: { queues: TaskQueueHealth[] | null }) {
  if (queues === null)
    return (
      <Alert color="red" title="Temporal did not answer">
        The workers’ queues could not be read; see Temporal above.
      </Alert>
    );
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table verticalSpacing="xs" aria-label="Task queues" data-testid="health-task-queues">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Family</Table.Th>
            <Table.Th>Workflow pollers</Table.Th>
            <Table.Th>Activity pollers</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {queues.map((queue) => (
            <Table.Tr key={queue.taskQueue}>
              <Table.Td>
                <Text size="sm">{queue.family}</Text>
                <Text size="xs" c="dimmed" ff="monospace">
                  {queue.taskQueue}
                </Text>
              </Table.Td>
              <Table.Td c={queue.workflowPollers === 0 ? 'red' : undefined}>{queue.workflowPollers}</Table.Td>
              <Table.Td c={queue.activityPollers === 0 ? 'red' : undefined}>{queue.activityPollers}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function Figure({ label, value, alert = false }: { label: string; value: number | string; alert?: boolean }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} c={alert && value !== 0 ? 'red' : undefined}>
        {value}
      </Text>
    </div>
  );
}
