import { Alert, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { Problem } from '../../../contracts/index.ts';
import { ReplayWebhookEventsRequest, WEBHOOK_REPLAY_MAX_EVENTS } from '../../../contracts/index.ts';
import { fieldErrorsOf, problemFieldErrors, replayRangeFromForm } from './endpoint-form.ts';

/**
 * Replays every event of a time range the endpoint subscribes to, in order. The times are
 * UTC (as every time on these pages), to the second if wanted.
 */
export function ReplayRangeForm({
  endpointId,
  defaults,
  problem,
}: {
  endpointId: string;
  defaults: { from: string; to: string };
  problem: Problem | null;
}) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const navigation = useNavigation();
  const submitting = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'replay-range';
  const errors = { ...problemFieldErrors(problem), ...clientErrors };
  const formProblem = problem && Object.keys(problemFieldErrors(problem)).length === 0 ? problem : null;
  return (
    <Form
      method="post"
      aria-label="Replay a time range"
      noValidate
      onSubmit={(event) => {
        const parsed = ReplayWebhookEventsRequest.safeParse(replayRangeFromForm(new FormData(event.currentTarget)));
        if (parsed.success) return setClientErrors({});
        event.preventDefault();
        setClientErrors(fieldErrorsOf(parsed.error.issues));
      }}
    >
      <input type="hidden" name="intent" value="replay-range" />
      <input type="hidden" name="endpointId" value={endpointId} />
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          Sends again every event this endpoint subscribes to that happened from the first time up to the second, in the
          order they happened (at most 31 days and {WEBHOOK_REPLAY_MAX_EVENTS} events at once). New events keep arriving
          as usual meanwhile.
        </Text>
        <Group align="flex-start" gap="sm">
          <TextInput
            type="datetime-local"
            step={1}
            name="from"
            label="From (UTC)"
            defaultValue={defaults.from}
            error={errors.from}
            w={230}
          />
          <TextInput
            type="datetime-local"
            step={1}
            name="to"
            label="Up to (UTC)"
            defaultValue={defaults.to}
            error={errors.to}
            w={230}
          />
        </Group>
        {formProblem ? (
          <Alert color="red" title={formProblem.title} data-testid="replay-range-problem">
            {formProblem.detail}
          </Alert>
        ) : null}
        <Group>
          <Button type="submit" variant="light" loading={submitting}>
            Replay the range
          </Button>
        </Group>
      </Stack>
    </Form>
  );
}
