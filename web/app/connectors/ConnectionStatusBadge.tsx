import { Badge } from '@mantine/core';
import type { ConnectionStatus } from '../../../contracts/index.ts';

const COLORS: Record<ConnectionStatus, string> = {
  pending: 'blue',
  active: 'green',
  needs_reauth: 'yellow',
  failed: 'red',
  expired: 'orange',
  disconnecting: 'gray',
  disconnected: 'gray',
};

const LABELS: Record<ConnectionStatus, string> = {
  pending: 'Waiting for authorization',
  active: 'Active',
  needs_reauth: 'Needs re-authorization',
  failed: 'Failed',
  expired: 'Expired',
  disconnecting: 'Disconnecting',
  disconnected: 'Disconnected',
};

/** A connection's status in words, coloured by health. */
export function ConnectionStatusBadge({ status }: { status: ConnectionStatus }) {
  return (
    <Badge color={COLORS[status]} variant="light" tt="none" data-testid="connection-status" data-status={status}>
      {LABELS[status]}
    </Badge>
  );
}
