import { Alert, Anchor, Badge, Group, Loader, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Operation } from '../../../../contracts/index.ts';
import { ExternalLinkIcon } from '../icons.tsx';
import { Timestamp } from '../Timestamp.tsx';
import { operationKindLabel } from '../../../../contracts/index.ts';
import { OperationTimeline } from './OperationTimeline.tsx';
import { OperationStatusBadge } from './StatusBadges.tsx';
import { useOperationEvents } from './useOperationEvents.ts';

/**
 * One operation, kept current from the API's event stream. `showTemporalUi`: platform admins
 * get the link to the Temporal UI (it has no sign-in and shows every tenant's workflows).
 */
export function OperationView({ initial, showTemporalUi }: { initial: Operation; showTemporalUi: boolean }) {
  const { operation, reconnecting } = useOperationEvents(initial);

  return (
    <Stack gap="lg" data-testid="operation-view" data-operation-id={operation.id}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text c="dimmed" size="sm">
            {operationKindLabel(operation.kind)}
          </Text>
          <Group gap="sm">
            <Title order={1} ff="monospace" size="h2" style={{ overflowWrap: 'anywhere' }}>
              {operation.id}
            </Title>
            <OperationStatusBadge status={operation.status} size="lg" testId="operation-status" />
            {reconnecting ? (
              <Badge
                color="yellow"
                variant="light"
                size="lg"
                leftSection={<Loader size={12} color="yellow" />}
                data-testid="stream-reconnecting"
              >
                Reconnecting…
              </Badge>
            ) : null}
          </Group>
        </div>
        {showTemporalUi ? (
          <Anchor href={operation.links.temporalUi} target="_blank" rel="noreferrer" data-testid="temporal-ui-link">
            <Group gap={6} component="span">
              Open in Temporal UI
              <ExternalLinkIcon size={16} />
            </Group>
          </Anchor>
        ) : null}
      </Group>

      {operation.error ? (
        <Alert color="red" title="The operation failed" data-testid="operation-error">
          {operation.error}
        </Alert>
      ) : null}

      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="md">
          <Fact label="Started">
            <Timestamp value={operation.startedAt} />
          </Fact>
          <Fact label="Closed">
            {operation.closedAt ? <Timestamp value={operation.closedAt} /> : <Text size="sm">—</Text>}
          </Fact>
          <Fact label="Workflow ID">
            <Identifier>{operation.workflowId}</Identifier>
          </Fact>
          <Fact label="Run ID">
            <Identifier>{operation.runId}</Identifier>
          </Fact>
        </SimpleGrid>
      </Paper>

      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="md">
          Steps
        </Title>
        <OperationTimeline steps={operation.steps} />
      </Paper>
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {children}
    </div>
  );
}

function Identifier({ children }: { children: string }) {
  return (
    <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
      {children}
    </Text>
  );
}
