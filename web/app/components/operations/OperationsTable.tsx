import { Anchor, EmptyState, Table, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { OperationSummary } from '../../../../contracts/index.ts';
import { ActivityIcon } from '../icons.tsx';
import { Timestamp } from '../Timestamp.tsx';
import { operationKindLabel } from '../../../../contracts/index.ts';
import { OperationStatusBadge } from './StatusBadges.tsx';

interface OperationsTableProps {
  operations: OperationSummary[];
  /** Tenant slugs by tenant id, to show a readable tenant; unknown ids are shown as they are. */
  tenantSlugs: Record<string, string>;
}

export function OperationsTable({ operations, tenantSlugs }: OperationsTableProps) {
  if (operations.length === 0) {
    return (
      <EmptyState
        data-testid="operations-empty"
        icon={<ActivityIcon size={32} />}
        withIndicatorBackground
        title="No operations"
        description="Operations appear here as soon as something starts one, such as creating a tenant."
      />
    );
  }

  return (
    <Table.ScrollContainer minWidth={720}>
      <Table highlightOnHover verticalSpacing="sm" aria-label="Operations" data-testid="operations-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Operation</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Tenant</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Started</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {operations.map((operation) => (
            <Table.Tr key={operation.id} data-testid="operation-row" data-operation-id={operation.id}>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={href('/operations/:operationId', { operationId: operation.id })}
                  ff="monospace"
                  size="sm"
                >
                  {operation.id}
                </Anchor>
              </Table.Td>
              <Table.Td>{operationKindLabel(operation.kind)}</Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {operation.tenantId ? (tenantSlugs[operation.tenantId] ?? operation.tenantId) : '—'}
                </Text>
              </Table.Td>
              <Table.Td>
                <OperationStatusBadge status={operation.status} />
              </Table.Td>
              <Table.Td>
                <Timestamp value={operation.startedAt} c="dimmed" />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
