import { Badge, Stack, Text } from '@mantine/core';
import type { WebhookEndpoint } from '../../../contracts/index.ts';

const COLORS: Record<WebhookEndpoint['status'], string> = { enabled: 'green', paused: 'orange', disabled: 'gray' };

/** The endpoint's status, and why it is paused or disabled. */
export function EndpointStatus({ endpoint, withReason = true }: { endpoint: WebhookEndpoint; withReason?: boolean }) {
  return (
    <Stack gap={4} align="flex-start">
      <Badge color={COLORS[endpoint.status]} variant="light" data-testid="endpoint-status">
        {endpoint.status}
      </Badge>
      {withReason && endpoint.disabledReason ? (
        <Text size="xs" c="dimmed" maw={420} data-testid="endpoint-status-reason">
          {endpoint.disabledReason}
        </Text>
      ) : null}
    </Stack>
  );
}
