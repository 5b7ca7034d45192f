import { Anchor, Badge, Box, EmptyState, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { WebhookEndpoint } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { EndpointStatus } from './EndpointStatusBadge.tsx';

const endpointPage = (slug: string, endpoint: WebhookEndpoint) =>
  href('/tenants/:slug/webhooks/:endpointId', { slug, endpointId: endpoint.id });

function EventTypeBadges({ endpoint }: { endpoint: WebhookEndpoint }) {
  return (
    <Group gap={4}>
      {endpoint.eventTypes.map((type) => (
        <Badge key={type} variant="outline" color="gray" tt="none" size="sm">
          {type}
        </Badge>
      ))}
    </Group>
  );
}

/**
 * A tenant's endpoints; each URL opens the endpoint's page (its delivery log, tests,
 * replays). A table from the `sm` breakpoint up, a card per endpoint on a phone.
 */
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
    <>
      <Box visibleFrom="sm">
        <EndpointRows slug={slug} endpoints={endpoints} />
      </Box>
      <Stack hiddenFrom="sm" gap="sm" data-testid="webhooks-cards">
        {endpoints.map((endpoint) => (
          <Paper key={endpoint.id} withBorder p="sm" data-testid="webhook-card" data-url={endpoint.url}>
            <Stack gap={6}>
              <Anchor
                component={Link}
                to={endpointPage(slug, endpoint)}
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
              <EndpointStatus endpoint={endpoint} />
              <EventTypeBadges endpoint={endpoint} />
              <Timestamp value={endpoint.createdAt} c="dimmed" size="xs" />
            </Stack>
          </Paper>
        ))}
      </Stack>
    </>
  );
}

function EndpointRows({ slug, endpoints }: { slug: string; endpoints: WebhookEndpoint[] }) {
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
                  to={endpointPage(slug, endpoint)}
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
                <EventTypeBadges endpoint={endpoint} />
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
