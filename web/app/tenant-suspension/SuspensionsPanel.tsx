import { Paper, Table, Text, Title } from '@mantine/core';
import type { TenantSuspensionRecord } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

/** A tenant's suspensions, numbered, with what each applied and whether it still holds. */
export function SuspensionsPanel({ suspensions }: { suspensions: TenantSuspensionRecord[] }) {
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="sm">
        Suspensions
      </Title>
      <Table.ScrollContainer minWidth={640}>
        <Table aria-label="Suspensions" data-testid="suspensions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Suspended</Table.Th>
              <Table.Th>Reactivated</Table.Th>
              <Table.Th>Applied</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {suspensions.map((s) => (
              <Table.Tr key={s.number}>
                <Table.Td>{s.number}</Table.Td>
                <Table.Td>{s.reason}</Table.Td>
                <Table.Td>{s.suspendedAt ? <Timestamp value={s.suspendedAt} /> : '—'}</Table.Td>
                <Table.Td>{s.reactivatedAt ? <Timestamp value={s.reactivatedAt} /> : 'in force'}</Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {s.sessionsRevoked ?? 0} sessions revoked, {s.workloadsScaledDown ?? 0} workloads scaled down
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
