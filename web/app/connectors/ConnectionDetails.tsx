import { Alert, Anchor, Badge, Group, Stack, Text } from '@mantine/core';
import type { Connection } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { ConnectionStatusBadge } from './ConnectionStatusBadge.tsx';

/** One connection: its status (and what went wrong, in the provider's words), account and scopes. */
export function ConnectionDetails({ connection }: { connection: Connection }) {
  return (
    <Stack gap="sm" data-testid="connection-details">
      <Group gap="sm">
        <ConnectionStatusBadge status={connection.status} />
        {connection.account ? (
          <Text size="sm" data-testid="connection-account">
            {connection.account.name}
          </Text>
        ) : null}
      </Group>
      {connection.status === 'pending' ? (
        <Text size="sm" c="dimmed">
          Waiting for you to authorize at the provider
          {connection.authorizationExpiresAt ? (
            <>
              {' '}
              (until <Timestamp value={connection.authorizationExpiresAt} size="sm" />)
            </>
          ) : null}
          .{' '}
          {connection.authorizationUrl ? (
            <Anchor href={connection.authorizationUrl} data-testid="authorize-link">
              Open the provider again
            </Anchor>
          ) : null}
        </Text>
      ) : null}
      {connection.error ? (
        <Alert
          color={connection.status === 'expired' ? 'orange' : connection.status === 'needs_reauth' ? 'yellow' : 'red'}
          title={connection.status === 'needs_reauth' ? 'Needs re-authorization' : 'Not connected'}
          data-testid="connection-error"
        >
          {connection.error.message}
          {connection.status === 'needs_reauth'
            ? ' Atrium can no longer renew its access and its syncs are paused: reconnect it to resume them.'
            : null}
        </Alert>
      ) : null}
      {connection.scopes.length > 0 ? (
        <Group gap={4}>
          {connection.scopes.map((scope) => (
            <Badge key={scope} variant="outline" color="gray" tt="none" size="sm">
              {scope}
            </Badge>
          ))}
        </Group>
      ) : null}
      {connection.connectedAt ? (
        <Text size="xs" c="dimmed">
          Connected <Timestamp value={connection.connectedAt} size="xs" />
        </Text>
      ) : null}
      {connection.tokensRefreshedAt && connection.status === 'active' ? (
        <Text size="xs" c="dimmed" data-testid="tokens-refreshed">
          Access renewed <Timestamp value={connection.tokensRefreshedAt} size="xs" />
        </Text>
      ) : null}
    </Stack>
  );
}
