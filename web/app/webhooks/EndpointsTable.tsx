import { Anchor, Badge, EmptyState, Group, Table, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { WebhookEndpoint } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { EndpointStatus } from './EndpointStatusBadge.tsx';

/** A tenant's endpoints; each URL opens the endpoint's page (its delivery log, tests, replays). */
export function EndpointsTable({ slug, endpoints }: { slug: string; endpoints: WebhookEndpoint[] }) {
  if (endpoints.length === 0)
    return (
      <EmptyState
        data-testid="webhooks-empty"
        title="No webhook endpoints"
        description="Add one to receive this tenant's events as signed HTTPS requests."
      />
    );
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" aria-label="Webhook endpoints" data-testid="webhooks-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Endpoint</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Event types</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {endpoints.map((endpoint) => (
            <Table.Tr key={endpoint.id} data-testid="webhook-row" data-url={endpoint.url}>
              <Table.Td maw={360}>
                <Anchor
                  component={Link}
                  to={href('/tenants/:slug/webhooks/:endpointId', { slug, endpointId: endpoint.id })}
                  ff="monospace"
                  size="sm"
                  style={{ wordBreak: 'break-all' }}
                >
                  {endpoint.url}
                </Anchor>
                {endpoint.description ? (
                  <Text size="xs" c="dimmed">
                    {endpoint.description}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <EndpointStatus endpoint={endpoint} />
              </Table.Td>
              <Table.Td maw={280}>
                <Group gap={4}>
                  {endpoint.eventTypes.map((type) => (
                    <Badge key={type} variant="outline" color="gray" tt="none" size="sm">
                      {type}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <Timestamp value={endpoint.createdAt} c="dimmed" style={{ whiteSpace: 'nowrap' }} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
