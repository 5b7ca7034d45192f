import { Alert, Anchor, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { WebhookReplayStarted } from '../../../contracts/index.ts';

/** A replay just started: how many events, and the operation to follow. */
export function ReplayStartedNotice({ started }: { started: WebhookReplayStarted }) {
  const { replay, operation } = started;
  return (
    <Alert color="blue" title="Replay started" data-testid="replay-started">
      <Text size="sm">
        {replay.events === 1 ? 'The event goes' : `${replay.events} events go`} to the endpoint again, with their own
        webhook-id, signed afresh; the attempts appear in the delivery log as “replay”.{' '}
        <Anchor component={Link} to={href('/operations/:operationId', { operationId: operation.id })} size="sm">
          Follow the replay
        </Anchor>
      </Text>
    </Alert>
  );
}
