import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { data, Form, Link, useNavigation } from 'react-router';
import type { Route } from './+types/signup-check-email';
import type { SignupRequested } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';
import { signupEmail } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Check your email · Atrium' }];

// After /signup: nothing exists until the mailed link is opened. The address comes from the
// session (the signup action put it there), so it is not in the URL or the server's logs.
export function loader({ context }: Route.LoaderArgs) {
  return { email: signupEmail(context) ?? null };
}

export async function action({ context }: Route.ActionArgs) {
  const email = signupEmail(context);
  if (!email) return data({ resent: false, problem: null }, { status: 400 });
  const result = await callApi<SignupRequested>(context, '/api/v1/auth/signup/resend', {
    method: 'POST',
    body: { email },
  });
  if (!result.ok) return data({ resent: false, problem: result.problem }, { status: result.status });
  return { resent: true, problem: null };
}

export default function SignupCheckEmailPage({ loaderData, actionData }: Route.ComponentProps) {
  const navigation = useNavigation();
  const { email } = loaderData;
  return (
    <AuthCard title="Check your email" subtitle="One more step to create your account">
      <Alert color="blue" data-testid="signup-check-email">
        {email ? (
          <>
            We sent a message to <strong>{email}</strong>. Open the link in it to finish signing up: that creates your
            account and starts setting up your organization.
          </>
        ) : (
          <>If you just signed up, we sent you a message: open the link in it to finish signing up.</>
        )}
      </Alert>
      <Text size="sm" c="dimmed">
        The link works once, for a day. Nothing arrived after a few minutes? Look in your spam folder, or have it sent
        again.
      </Text>
      {actionData?.resent ? (
        <Alert color="green" data-testid="signup-resent">
          Sent again. Use the newest mail.
        </Alert>
      ) : null}
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="signup-resend-problem">
          {actionData.problem.detail}
        </Alert>
      ) : null}
      <Stack gap="xs">
        {email ? (
          <Form method="post" aria-label="Send the mail again">
            <Button type="submit" variant="default" fullWidth loading={navigation.state === 'submitting'}>
              Send the mail again
            </Button>
          </Form>
        ) : null}
        <Text size="sm" ta="center">
          Wrong address?{' '}
          <Anchor component={Link} to="/signup">
            Sign up again
          </Anchor>
          {' · '}
          <Anchor component={Link} to="/login">
            Sign in
          </Anchor>
        </Text>
      </Stack>
    </AuthCard>
  );
}
