import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { data, Form, Link, redirect, useNavigation, useSearchParams } from 'react-router';
import type { Route } from './+types/signup-confirm';
import type { SignupAccepted } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';
import { forgetSignupEmail, startSession } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Finish signing up · Atrium' }];

// The link from the signup mail. Completing takes a click (a POST), not just opening the
// link: mail scanners that fetch links must not create the account.
export async function action({ context, request }: Route.ActionArgs) {
  const token = (await request.formData()).get('token');
  const result = await callApi<SignupAccepted>(context, '/api/v1/auth/signup/confirm', {
    method: 'POST',
    body: { token: typeof token === 'string' ? token : '' },
  });
  if (!result.ok) return data({ problem: result.problem }, { status: result.status });
  startSession(context, result.body.session);
  forgetSignupEmail(context);
  // On to the new organization's provisioning, live.
  throw redirect(`/operations/${encodeURIComponent(result.body.operation.id)}`);
}

export default function SignupConfirmPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const token = searchParams.get('token') ?? '';
  const problem = actionData?.problem;
  return (
    <AuthCard title="Finish signing up">
      {problem ? (
        <Alert color="red" title={problem.title} data-testid="signup-confirm-problem" data-status={problem.status}>
          {problem.detail}
        </Alert>
      ) : null}
      {!token ? (
        <Alert color="red" title="This link is incomplete" data-testid="signup-confirm-problem">
          Open the whole link from the signup mail.
        </Alert>
      ) : null}
      {token && !problem ? (
        <Form method="post" aria-label="Finish signing up">
          <input type="hidden" name="token" value={token} />
          <Stack gap="sm">
            <Text size="sm">Confirm that this address is yours: this creates your account and your organization.</Text>
            <Button type="submit" loading={navigation.state !== 'idle'}>
              Create my account
            </Button>
          </Stack>
        </Form>
      ) : (
        <Group justify="space-between">
          <Anchor component={Link} to="/login" size="sm">
            Sign in
          </Anchor>
          <Anchor component={Link} to="/signup" size="sm">
            Sign up again
          </Anchor>
          <Anchor component={Link} to="/forgot-password" size="sm">
            Forgot password?
          </Anchor>
        </Group>
      )}
    </AuthCard>
  );
}
