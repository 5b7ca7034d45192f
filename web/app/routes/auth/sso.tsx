import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { data, Form, Link, redirect, useNavigation, useSearchParams } from 'react-router';
import type { Route } from './+types/sso';
import type { Problem, SsoStart } from '../../../../contracts/index.ts';
import { SsoLoginEmail } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';
import { rememberSsoState, safeRedirect } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Single sign-on · Atrium' }];

// Starts the sign-in at the organization's identity provider: the API remembers the PKCE
// verifier and nonce; this browser's session remembers the state, which the callback checks.
export async function action({ context, request }: Route.ActionArgs) {
  const form = Object.fromEntries(await request.formData());
  const tenant = typeof form.tenant === 'string' && form.tenant ? form.tenant : undefined;
  const email = typeof form.email === 'string' ? form.email.trim() : '';
  if (!tenant) {
    const parsed = SsoLoginEmail.safeParse(email);
    if (!parsed.success)
      return data({ email, fieldError: parsed.error.issues[0]?.message ?? 'Check the address.', problem: null }, 422);
  }
  const redirectTo = safeRedirect(form.redirectTo, '');
  const result = await callApi<SsoStart>(context, '/api/v1/auth/sso/start', {
    method: 'POST',
    body: { ...(tenant ? { tenant } : { email }), ...(redirectTo ? { returnTo: redirectTo } : {}) },
  });
  if (!result.ok) return data({ email, fieldError: null, problem: result.problem }, { status: result.status });
  rememberSsoState(context, result.body.state);
  throw redirect(result.body.authorizationUrl);
}

export default function SsoPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const [clientError, setClientError] = useState<string | null>(null);
  const tenant = searchParams.get('tenant');
  const problem: Problem | null = actionData?.problem ?? null;
  return (
    <AuthCard
      title="Single sign-on"
      subtitle={
        tenant
          ? `${tenant} signs in through its identity provider`
          : "Sign in through your organization's identity provider"
      }
    >
      <Form
        method="post"
        aria-label="Single sign-on"
        noValidate
        onSubmit={(event) => {
          if (tenant) return;
          const parsed = SsoLoginEmail.safeParse(new FormData(event.currentTarget).get('email'));
          if (parsed.success) return setClientError(null);
          event.preventDefault();
          setClientError(parsed.error.issues[0]?.message ?? 'Check the address.');
        }}
      >
        <input type="hidden" name="redirectTo" value={searchParams.get('redirectTo') ?? ''} />
        <Stack gap="md">
          {searchParams.get('required') ? (
            <Alert color="blue" data-testid="sso-required-notice">
              Your organization requires single sign-on: passwords are not accepted for this address.
            </Alert>
          ) : null}
          {problem ? (
            <Alert color="red" title={problem.title} data-testid="sso-problem" data-status={problem.status}>
              {problem.detail}
            </Alert>
          ) : null}
          {tenant ? (
            <>
              <input type="hidden" name="tenant" value={tenant} />
              <Text size="sm">
                Continue to the sign-in page of <b>{tenant}</b>; you come back here afterwards.
              </Text>
            </>
          ) : (
            <TextInput
              name="email"
              type="email"
              label="Work email"
              autoComplete="username"
              required
              defaultValue={actionData?.email ?? searchParams.get('email') ?? ''}
              error={clientError ?? actionData?.fieldError}
            />
          )}
          <Button type="submit" loading={navigation.state !== 'idle'} fullWidth>
            Continue with single sign-on
          </Button>
          <Anchor component={Link} to="/login" size="sm">
            Sign in with a password instead
          </Anchor>
        </Stack>
      </Form>
    </AuthCard>
  );
}
