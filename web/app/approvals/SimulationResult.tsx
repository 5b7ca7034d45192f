// The simulation's answer: each request of the last 30 days (and each in flight) with what
// really happened, its outcome under the policy that applies now, and under the proposed one.
// A table at desk width, a card per request on a phone.
import { Badge, Card, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { ApprovalSimulation } from '../../../contracts/approval-policies.ts';
import { Timestamp } from '../components/Timestamp.tsx';

type Row = ApprovalSimulation['requests'][number];
type Verdict = Row['current'];

const COLORS: Record<Verdict['outcome'], string> = {
  allowed: 'green',
  blocked: 'red',
  'needs-someone-else': 'orange',
  pending: 'yellow',
};
const LABELS: Record<Verdict['outcome'], string> = {
  allowed: 'allowed',
  blocked: 'blocked',
  'needs-someone-else': 'needs someone else',
  pending: 'pending',
};

function Outcome({ verdict }: { verdict: Verdict }) {
  return (
    <Stack gap={2}>
      <Badge color={COLORS[verdict.outcome]} variant="light" data-outcome={verdict.outcome}>
        {LABELS[verdict.outcome]}
      </Badge>
      <Text size="xs" c="dimmed">
        {verdict.reason}
        {verdict.notCounted.length > 0 ? ` Not counted: ${verdict.notCounted.join(', ')}.` : ''}
      </Text>
    </Stack>
  );
}

export function SimulationResult({ simulation }: { simulation: ApprovalSimulation }) {
  const { summary, requests } = simulation;
  return (
    <Paper withBorder p="md" data-testid="simulation-result">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Simulation
        </Title>
        <Text size="sm" data-testid="simulation-summary">
          {requests.length} request{requests.length === 1 ? '' : 's'} since <Timestamp value={simulation.since} />
          {' · '}
          {summary.changed} would change · proposed: {summary.proposed.allowed} allowed, {summary.proposed.blocked}{' '}
          blocked, {summary.proposed['needs-someone-else']} needing someone else, {summary.proposed.pending} pending
        </Text>
        {requests.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="simulation-empty">
            No requests for this environment in the last 30 days and none waiting: nothing to compare.
          </Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={760} visibleFrom="sm">
              <Table verticalSpacing="xs" data-testid="simulation-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Request</Table.Th>
                    <Table.Th>What happened</Table.Th>
                    <Table.Th>Current policy</Table.Th>
                    <Table.Th>Proposed policy</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {requests.map((row) => (
                    <Table.Tr
                      key={row.id}
                      data-testid="simulation-row"
                      data-request-id={row.id}
                      data-changed={row.changed}
                      bg={row.changed ? 'var(--mantine-color-yellow-light)' : undefined}
                    >
                      <Table.Td>
                        <Text size="sm">{row.subject.label}</Text>
                        <Text size="xs" c="dimmed">
                          {row.requester ?? 'someone removed'} · <Timestamp value={row.createdAt} />
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Badge variant="outline" color="gray">
                          {row.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Outcome verdict={row.current} />
                      </Table.Td>
                      <Table.Td>
                        <Outcome verdict={row.proposed} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Stack gap="xs" hiddenFrom="sm" data-testid="simulation-cards">
              {requests.map((row) => (
                <Card key={row.id} withBorder padding="sm" data-testid="simulation-card" data-changed={row.changed}>
                  <Stack gap={6}>
                    <Text size="sm" fw={600}>
                      {row.subject.label}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {row.requester ?? 'someone removed'} · {row.status} · <Timestamp value={row.createdAt} />
                    </Text>
                    <Group gap="xs" align="flex-start" wrap="nowrap">
                      <Text size="xs" w={64}>
                        Now
                      </Text>
                      <Outcome verdict={row.current} />
                    </Group>
                    <Group gap="xs" align="flex-start" wrap="nowrap">
                      <Text size="xs" w={64}>
                        Proposed
                      </Text>
                      <Outcome verdict={row.proposed} />
                    </Group>
                  </Stack>
                </Card>
              ))}
            </Stack>
          </>
        )}
      </Stack>
    </Paper>
  );
}
