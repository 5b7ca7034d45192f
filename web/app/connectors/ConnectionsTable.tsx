import { Anchor, Box, Button, EmptyState, Paper, Stack, Table, Text } from '@mantine/core';
import { Form, href, Link } from 'react-router';
import type { Connection } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { ConnectionStatusBadge } from './ConnectionStatusBadge.tsx';

const page = (slug: string, connection: Connection) =>
  href('/tenants/:slug/connections/:connectionId', { slug, connectionId: connection.id });

/** Disconnect: revoke at the provider and delete the tokens (only an active connection, or one
 * that needs re-authorization, holds any). */
export function DisconnectButton({ connection, canManage }: { connection: Connection; canManage: boolean }) {
  if (!canManage || (connection.status !== 'active' && connection.status !== 'needs_reauth')) return null;
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="disconnect" />
      <input type="hidden" name="connectionId" value={connection.id} />
      <Button type="submit" size="xs" color="red" variant="light" aria-label={`Disconnect ${connection.name}`}>
        Disconnect
      </Button>
    </Form>
  );
}

/** The tenant's connections: a table from the `sm` breakpoint up, a card each on a phone. */
export function ConnectionsTable({
  slug,
  connections,
  canManage,
}: {
  slug: string;
  connections: Connection[];
  canManage: boolean;
}) {
  if (connections.length === 0)
    return (
      <EmptyState
        data-testid="connections-empty"
        title="No connections yet"
        description="Connect an account below; Atrium keeps its tokens in the secret store."
      />
    );
  return (
    <>
      <Box visibleFrom="sm">
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" aria-label="Connections" data-testid="connections-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Connection</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Account</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {connections.map((connection) => (
                <Table.Tr key={connection.id} data-testid="connection-row">
                  <Table.Td>
                    <Anchor component={Link} to={page(slug, connection)}>
                      {connection.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <ConnectionStatusBadge status={connection.status} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{connection.account?.name ?? '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Timestamp value={connection.createdAt} size="sm" />
                  </Table.Td>
                  <Table.Td>
                    <DisconnectButton connection={connection} canManage={canManage} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Box>
      <Stack hiddenFrom="sm" gap="sm" data-testid="connections-cards">
        {connections.map((connection) => (
          <Paper key={connection.id} withBorder p="sm">
            <Stack gap={6}>
              <Anchor component={Link} to={page(slug, connection)}>
                {connection.name}
              </Anchor>
              <ConnectionStatusBadge status={connection.status} />
              {connection.account ? <Text size="sm">{connection.account.name}</Text> : null}
              <Timestamp value={connection.createdAt} c="dimmed" size="xs" />
              <DisconnectButton connection={connection} canManage={canManage} />
            </Stack>
          </Paper>
        ))}
      </Stack>
    </>
  );
}
