import { Anchor, Code, Group, Paper, Table, Text, Title } from '@mantine/core';
import type { TenantTeardownReport } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

/** What offboarding deleted (or will), with the evidence, and the data export to download. */
export function TeardownReportPanel({ slug, report }: { slug: string; report: TenantTeardownReport }) {
  return (
    <Paper withBorder p="md" data-testid="teardown-report">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Offboarding
        </Title>
        <Anchor href={`/admin/tenants/${encodeURIComponent(slug)}/export`} data-testid="export-download">
          Download the data export
        </Anchor>
      </Group>
      <Text size="sm" mb="xs">
        {report.reason} · started <Timestamp value={report.startedAt} />
        {report.cancelledAt ? ' · cancelled' : report.completedAt ? ' · completed' : ' · in grace period'}
      </Text>
      {report.resources.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Deleted resources">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Evidence of deletion</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.resources.map((resource) => (
                <Table.Tr key={`${resource.kind}/${resource.name}`} data-testid="teardown-resource">
                  <Table.Td>{resource.kind}</Table.Td>
                  <Table.Td>
                    <Code>{resource.name}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{resource.evidence}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text size="sm" c="dimmed">
          Nothing deleted yet.
        </Text>
      )}
    </Paper>
  );
}
