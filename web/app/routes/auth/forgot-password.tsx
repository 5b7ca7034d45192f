import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { data, Form, Link, useNavigation } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/forgot-password';
import type { Problem } from '../../../../contracts/index.ts';
import { emailField } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Forgot password · Atrium' }];

const ForgotForm = z.object({ email: emailField });

export async function action({ context, request }: Route.ActionArgs) {
  const parsed = ForgotForm.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success)
    return data(
      { sent: false, emailError: parsed.error.issues[0]?.message, problem: null as Problem | null },
      { status: 422 },
    );
  const result = await callApi(context, '/api/v1/auth/password-reset', { method: 'POST', body: parsed.data });
  if (!result.ok)
    return data({ sent: false, emailError: undefined, problem: result.problem }, { status: result.status });
  return { sent: true, emailError: undefined, problem: null };
}

export default function ForgotPasswordPage({ actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  return (
    <AuthCard title="Forgot your password?" subtitle="We mail you a link to choose a new one.">
      {actionData?.sent ? (
        <Alert color="blue" data-testid="reset-requested">
          If an account exists for this address, a reset link is on its way. It works once, for a short while.
        </Alert>
      ) : (
        <Form method="post" aria-label="Request a password reset">
          <Stack gap="sm">
            {actionData?.problem ? (
              <Alert color="red" title={actionData.problem.title}>
                {actionData.problem.detail}
              </Alert>
            ) : null}
            <TextInput name="email" type="email" label="Email" autoComplete="email" error={actionData?.emailError} />
            <Button type="submit" loading={navigation.state === 'submitting'}>
              Send reset link
            </Button>
          </Stack>
        </Form>
      )}
      <Text size="sm" ta="center">
        <Anchor component={Link} to="/login">
          Back to sign in
        </Anchor>
      </Text>
    </AuthCard>
  );
}
