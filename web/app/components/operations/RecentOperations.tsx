import { Anchor, EmptyState, Group, Stack, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { OperationSummary } from '../../../../contracts/index.ts';
import { operationKindLabel } from '../../../../contracts/index.ts';
import { ActivityIcon } from '../icons.tsx';
import { Timestamp } from '../Timestamp.tsx';
import { OperationStatusBadge } from './StatusBadges.tsx';

/**
 * A short list of operations (newest first), each a link to its live page. Rows wrap rather
 * than scroll, so it reads the same on a phone.
 */
export function RecentOperations({ operations }: { operations: OperationSummary[] }) {
  if (operations.length === 0)
    return (
      <EmptyState
        data-testid="recent-operations-empty"
        icon={<ActivityIcon size={28} />}
        withIndicatorBackground
        title="No operations yet"
        description="Provisioning, suspensions and other long-running work show up here."
      />
    );
  return (
    <Stack gap="sm" component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-label="Recent operations">
      {operations.map((operation) => (
        <Group
          key={operation.id}
          component="li"
          justify="space-between"
          gap="xs"
          wrap="wrap"
          data-testid="recent-operation"
          data-operation-id={operation.id}
        >
          <Stack gap={0} style={{ minWidth: 0 }}>
            <Anchor component={Link} to={href('/operations/:operationId', { operationId: operation.id })} fw={500}>
              {operationKindLabel(operation.kind)}
            </Anchor>
            <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
              {operation.id}
            </Text>
          </Stack>
          <Group gap="xs" wrap="wrap">
            <OperationStatusBadge status={operation.status} />
            <Timestamp value={operation.startedAt} c="dimmed" size="xs" />
          </Group>
        </Group>
      ))}
    </Stack>
  );
}
