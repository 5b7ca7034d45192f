import { Alert, Badge, Button, Group, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { data, Form, useNavigation } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/profile';
import type { EmailChangeRequested, Me, Problem, Session } from '../../../contracts/index.ts';
import { ChangeEmailRequest, ChangePasswordRequest, UpdateProfileRequest } from '../../../contracts/index.ts';
import { callApi } from '../api/client.server.ts';
import { resultOrThrow } from '../api/result.server.ts';
import { fieldErrorsOf } from '../components/AuthCard.tsx';
import { requireUser, startSession, updateSessionUser } from '../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Profile · Atrium' }];

/**
 * Each form of the page, checked in the browser and again in the action: the API's request
 * schemas, loosened to allow the form's other fields (the intent).
 */
const FORMS = {
  rename: z.object(UpdateProfileRequest.shape),
  password: z.object(ChangePasswordRequest.shape),
  email: z.object(ChangeEmailRequest.shape),
} as const;
type Intent = keyof typeof FORMS;

type Outcome = { intent: Intent; done: string | null; fieldErrors: Record<string, string>; problem: Problem | null };

export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const me = resultOrThrow(
    await callApi<Me>(context, '/api/v1/me', { signal: request.signal, token: accessToken }),
    request,
  );
  return { me };
}

export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  const intent = (typeof form.intent === 'string' && form.intent in FORMS ? form.intent : 'rename') as Intent;
  const parsed = FORMS[intent].safeParse(form);
  if (!parsed.success)
    return data<Outcome>(
      { intent, done: null, fieldErrors: fieldErrorsOf(parsed.error.issues), problem: null },
      { status: 422 },
    );
  const call = { token: accessToken, body: parsed.data };
  const result =
    intent === 'rename'
      ? await callApi<Me>(context, '/api/v1/me', { ...call, method: 'PATCH' })
      : intent === 'password'
        ? await callApi<Session>(context, '/api/v1/me/password', { ...call, method: 'POST' })
        : await callApi<EmailChangeRequested>(context, '/api/v1/me/email', { ...call, method: 'POST' });
  if (!result.ok) {
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return data<Outcome>({ intent, done: null, fieldErrors, problem: result.problem }, { status: result.status });
  }
  // A password change ends every session; this one carries on with the tokens it returned.
  if (intent === 'password') startSession(context, result.body as Session);
  if (intent === 'rename') {
    const { emailVerified: _, ...user } = result.body as Me;
    updateSessionUser(context, user);
  }
  const done = {
    rename: 'Name saved.',
    password: 'Password changed. Other sessions are signed out.',
    email: 'Check the new address: the change takes effect from the link mailed there.',
  }[intent];
  return { intent, done, fieldErrors: {}, problem: null } satisfies Outcome;
}

export default function ProfilePage({ loaderData, actionData }: Route.ComponentProps) {
  const { me } = loaderData;
  return (
    <Stack gap="lg" maw={560}>
      <div>
        <Title order={1}>Profile</Title>
        <Group gap="xs">
          <Text c="dimmed">{me.email}</Text>
          {me.emailVerified ? (
            <Badge color="green" variant="light">
              confirmed
            </Badge>
          ) : (
            <Badge color="yellow" variant="light" data-testid="email-unconfirmed">
              not confirmed
            </Badge>
          )}
        </Group>
      </div>
      <ProfileForm intent="rename" title="Name" actionData={actionData} submit="Save name">
        {(errors) => (
          <TextInput name="displayName" label="Display name" defaultValue={me.displayName} error={errors.displayName} />
        )}
      </ProfileForm>
      <ProfileForm intent="password" title="Password" actionData={actionData} submit="Change password">
        {(errors) => (
          <>
            <PasswordInput
              name="currentPassword"
              label="Current password"
              autoComplete="current-password"
              error={errors.currentPassword}
            />
            <PasswordInput
              name="newPassword"
              label="New password"
              description="At least 12 characters."
              autoComplete="new-password"
              error={errors.newPassword}
            />
          </>
        )}
      </ProfileForm>
      <ProfileForm intent="email" title="Email address" actionData={actionData} submit="Change email">
        {(errors) => <TextInput name="email" type="email" label="New email address" error={errors.email} />}
      </ProfileForm>
    </Stack>
  );
}

function ProfileForm({
  intent,
  title,
  submit,
  actionData,
  children,
}: {
  intent: Intent;
  title: string;
  submit: string;
  actionData: Outcome | undefined;
  children: (errors: Record<string, string>) => React.ReactNode;
}) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const navigation = useNavigation();
  const mine = actionData?.intent === intent ? actionData : undefined;
  const errors = { ...mine?.fieldErrors, ...clientErrors };
  return (
    <Paper withBorder p="md">
      <Form
        method="post"
        aria-label={title}
        noValidate
        onSubmit={(event) => {
          const parsed = FORMS[intent].safeParse(Object.fromEntries(new FormData(event.currentTarget)));
          if (parsed.success) return setClientErrors({});
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <input type="hidden" name="intent" value={intent} />
        <Stack gap="sm">
          <Title order={2} size="h4">
            {title}
          </Title>
          {mine?.done ? (
            <Alert color="green" data-testid={`profile-${intent}-done`}>
              {mine.done}
            </Alert>
          ) : null}
          {mine?.problem && !Object.keys(mine.fieldErrors).length ? (
            <Alert color="red" title={mine.problem.title}>
              {mine.problem.detail}
            </Alert>
          ) : null}
          {children(errors)}
          <Group>
            <Button
              type="submit"
              loading={navigation.state === 'submitting' && navigation.formData?.get('intent') === intent}
            >
              {submit}
            </Button>
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}
