import { Alert, Anchor, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { data, Form, Link, redirect, useSearchParams } from 'react-router';
import type { Route } from './+types/reset-password';
import type { Problem } from '../../../../contracts/index.ts';
import { ResetPasswordForm } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard, fieldErrorsOf } from '../../components/AuthCard.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Choose a new password · Atrium' }];

export async function action({ context, request }: Route.ActionArgs) {
  const parsed = ResetPasswordForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data({ fieldErrors: fieldErrorsOf(parsed.error.issues), problem: null as Problem | null }, { status: 422 });
  const result = await callApi(context, '/api/v1/auth/password-reset/confirm', { method: 'POST', body: parsed.data });
  if (!result.ok) return data({ fieldErrors: {}, problem: result.problem }, { status: result.status });
  throw redirect('/login?reset=1');
}

export default function ResetPasswordPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const errors = { ...actionData?.fieldErrors, ...clientErrors };
  return (
    <AuthCard title="Choose a new password" subtitle="Every session of your account is signed out.">
      <Form
        method="post"
        aria-label="Choose a new password"
        noValidate
        onSubmit={(event) => {
          const parsed = ResetPasswordForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
          if (parsed.success) return setClientErrors({});
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <input type="hidden" name="token" value={searchParams.get('token') ?? ''} />
        <Stack gap="sm">
          {actionData?.problem ? (
            <Alert color="red" title={actionData.problem.title} data-testid="reset-problem">
              {actionData.problem.detail}{' '}
              <Anchor component={Link} to="/forgot-password">
                Ask for a new link
              </Anchor>
            </Alert>
          ) : null}
          {errors.token ? <Text c="red">{errors.token}</Text> : null}
          <PasswordInput
            name="password"
            label="New password"
            description="At least 12 characters."
            autoComplete="new-password"
            error={errors.password}
          />
          <Button type="submit">Set password</Button>
        </Stack>
      </Form>
    </AuthCard>
  );
}
