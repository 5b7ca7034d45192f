import { Alert, Badge, Button, Code, Group, Stack, Text } from '@mantine/core';
import { useFetcher } from 'react-router';
import type { Problem, WebhookDeliveryAttempt, WebhookTestResult } from '../../../contracts/index.ts';

type TestAnswer = { intent: 'test'; result: WebhookTestResult | null; problem: Problem | null };

/**
 * "Send test event": a signed `webhook.test` to the endpoint now; the receiver's answer
 * (status, time, the first bytes it sent back) shows here as soon as it came.
 */
export function TestSendButton({ endpointId }: { endpointId: string }) {
  const fetcher = useFetcher<TestAnswer>();
  const sending = fetcher.state !== 'idle';
  const answer = sending ? undefined : fetcher.data;
  return (
    <Stack gap="xs">
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="test" />
        <input type="hidden" name="endpointId" value={endpointId} />
        <Button type="submit" variant="light" loading={sending}>
          Send test event
        </Button>
      </fetcher.Form>
      {answer?.result ? <TestResult attempt={answer.result.attempt} /> : null}
      {answer?.problem ? (
        <Alert color="red" title={answer.problem.title} data-testid="test-send-problem">
          {answer.problem.detail}
        </Alert>
      ) : null}
    </Stack>
  );
}

function TestResult({ attempt }: { attempt: WebhookDeliveryAttempt }) {
  const ok = attempt.outcome === 'delivered';
  return (
    <Alert
      color={ok ? 'green' : 'red'}
      title={ok ? 'The endpoint accepted the test event' : 'The endpoint did not accept the test event'}
      data-testid="test-send-result"
      data-outcome={attempt.outcome}
    >
      <Stack gap={6}>
        <Group gap="xs">
          <Badge color={ok ? 'green' : 'red'} variant="light" data-testid="test-send-status">
            {attempt.statusCode ?? 'no answer'}
          </Badge>
          <Text size="sm">in {attempt.durationMs} ms</Text>
        </Group>
        {attempt.error ? <Text size="sm">{attempt.error}</Text> : null}
        {attempt.responseExcerpt ? (
          <Code block data-testid="test-send-response" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {attempt.responseExcerpt}
          </Code>
        ) : null}
        <Text size="xs" c="dimmed">
          Event <Code>{attempt.eventId}</Code> (webhook.test); a test never pauses or disables the endpoint.
        </Text>
      </Stack>
    </Alert>
  );
}
