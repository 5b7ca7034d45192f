import { Alert, Anchor, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { data, Form, href, Link, redirect } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/invitation';
import type { InvitationAccepted, InvitationOffer, Problem } from '../../../../contracts/index.ts';
import { displayNameField, newPasswordField } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard, fieldErrorsOf } from '../../components/AuthCard.tsx';
import { RoleBadge } from '../../components/members/RoleBadge.tsx';
import { loginPath, optionalUser, startSession } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Invitation · Atrium' }];

/** A new user's part of accepting, checked in the browser and again in the action. */
const NewAccountForm = z.object({ displayName: displayNameField, password: newPasswordField });

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const result = await callApi<InvitationOffer>(context, `/api/v1/invitations/${encodeURIComponent(params.token)}`, {
    signal: request.signal,
  });
  if (!result.ok) throw data(result.problem, { status: result.status });
  const signedIn = await optionalUser(context);
  return { invitation: result.body, signedInAs: signedIn?.user.email ?? null, here: new URL(request.url).pathname };
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const signedIn = await optionalUser(context);
  const form = Object.fromEntries(await request.formData());
  let body: Record<string, string> = {};
  // A new account's fields are on the form exactly when no account has the address.
  if (!signedIn || 'displayName' in form) {
    const parsed = NewAccountForm.safeParse(form);
    if (!parsed.success)
      return data(
        { fieldErrors: fieldErrorsOf(parsed.error.issues), problem: null as Problem | null },
        { status: 422 },
      );
    body = parsed.data;
  }
  const result = await callApi<InvitationAccepted>(
    context,
    `/api/v1/invitations/${encodeURIComponent(params.token)}/accept`,
    { method: 'POST', token: signedIn?.accessToken, body },
  );
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ fieldErrors: {}, problem: result.problem }, { status: result.status });
  }
  if (result.body.session) startSession(context, result.body.session);
  throw redirect(href('/tenants/:slug/members', { slug: result.body.membership.tenant.slug }));
}

export default function InvitationPage({ loaderData, actionData }: Route.ComponentProps) {
  const { invitation, signedInAs, here } = loaderData;
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const errors: Record<string, string> = { ...actionData?.fieldErrors, ...clientErrors };
  const needsSignIn = invitation.accountExists && signedInAs?.toLowerCase() !== invitation.email.toLowerCase();
  return (
    <AuthCard title={`Join ${invitation.tenant.name}`} subtitle={`Invitation for ${invitation.email}`}>
      <Group gap="xs">
        <Text size="sm">You are invited as</Text>
        <RoleBadge role={invitation.role} />
      </Group>
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="invitation-problem">
          {actionData.problem.detail}
        </Alert>
      ) : null}
      {invitation.state !== 'pending' ? (
        <Alert color="gray" data-testid="invitation-closed">
          This invitation is {invitation.state}. Ask for a new one if you still need access.
        </Alert>
      ) : needsSignIn ? (
        <Text size="sm">
          {signedInAs ? `You are signed in as ${signedInAs}. ` : null}
          <Anchor
            component={Link}
            to={`/login?redirectTo=${encodeURIComponent(here)}`}
            data-testid="invitation-sign-in"
          >
            Sign in as {invitation.email}
          </Anchor>{' '}
          to accept.
        </Text>
      ) : (
        <Form
          method="post"
          aria-label="Accept the invitation"
          noValidate
          onSubmit={(event) => {
            if (invitation.accountExists) return;
            const parsed = NewAccountForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
            if (parsed.success) return setClientErrors({});
            event.preventDefault();
            setClientErrors(fieldErrorsOf(parsed.error.issues));
          }}
        >
          <Stack gap="sm">
            {invitation.accountExists ? null : (
              <>
                <TextInput name="displayName" label="Your name" autoComplete="name" error={errors.displayName} />
                <PasswordInput
                  name="password"
                  label="Choose a password"
                  description="At least 12 characters."
                  autoComplete="new-password"
                  error={errors.password}
                />
              </>
            )}
            <Button type="submit">Accept and join</Button>
          </Stack>
        </Form>
      )}
    </AuthCard>
  );
}
