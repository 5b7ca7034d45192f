import { Alert, Button, Group, Stack, Textarea, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { Form, useNavigation } from 'react-router';
import type { Problem, WebhookEndpoint } from '../../../contracts/index.ts';
import { CreateWebhookEndpointRequest } from '../../../contracts/index.ts';
import type { EventTypeGroup } from './endpoint-form.ts';
import { endpointValuesFromForm, fieldErrorsOf, problemFieldErrors } from './endpoint-form.ts';
import { EventTypePicker } from './EventTypePicker.tsx';

/**
 * Registers an endpoint (no `endpoint`) or changes one: URL, description and event types.
 * The browser checks the fields with the API's schema first; the API's answer (a refused
 * address, an event type the role may not subscribe to) shows by the field it names.
 */
export function EndpointForm({
  endpoint,
  groups,
  problem,
  done,
  label,
}: {
  endpoint?: WebhookEndpoint;
  groups: EventTypeGroup[];
  /** The API's answer to the last submission, when it refused it. */
  problem: Problem | null;
  /** The last submission succeeded: a create form starts empty again. */
  done: boolean;
  label: string;
}) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const navigation = useNavigation();
  const intent = endpoint ? 'update' : 'create';
  const submitting = navigation.state === 'submitting' && navigation.formData?.get('intent') === intent;
  useEffect(() => {
    if (done && !endpoint) formRef.current?.reset();
  }, [done, endpoint]);
  const errors = { ...problemFieldErrors(problem), ...clientErrors };
  const formProblem = problem && Object.keys(problemFieldErrors(problem)).length === 0 ? problem : null;
  return (
    <Form
      ref={formRef}
      method="post"
      aria-label={label}
      noValidate
      onSubmit={(event) => {
        const parsed = CreateWebhookEndpointRequest.safeParse(
          endpointValuesFromForm(new FormData(event.currentTarget)),
        );
        if (parsed.success) return setClientErrors({});
        event.preventDefault();
        setClientErrors(fieldErrorsOf(parsed.error.issues));
      }}
    >
      <input type="hidden" name="intent" value={intent} />
      {endpoint ? <input type="hidden" name="endpointId" value={endpoint.id} /> : null}
      <Stack gap="sm">
        <TextInput
          name="url"
          label="Endpoint URL"
          description="An https:// address of yours that receives a signed POST for each event."
          placeholder="https://hooks.example.com/atrium"
          defaultValue={endpoint?.url ?? ''}
          error={errors.url}
          autoComplete="off"
        />
        <Textarea
          name="description"
          label="Description"
          placeholder="What receives these events"
          defaultValue={endpoint?.description ?? ''}
          error={errors.description}
          autosize
          minRows={1}
        />
        <EventTypePicker groups={groups} selected={endpoint?.eventTypes ?? []} error={errors.eventTypes} />
        {formProblem ? (
          <Alert color="red" title={formProblem.title} data-testid="endpoint-form-problem">
            {formProblem.detail}
          </Alert>
        ) : null}
        <Group>
          <Button type="submit" loading={submitting}>
            {endpoint ? 'Save changes' : 'Add endpoint'}
          </Button>
        </Group>
      </Stack>
    </Form>
  );
}
