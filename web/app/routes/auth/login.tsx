import {
  Alert,
  Anchor,
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { data, Form, Link, redirect, useNavigation, useSearchParams } from 'react-router';
import { z } from 'zod';
import type { Route } from './+types/login';
import { callApi } from '../../api/client.server.ts';
import type { LoginRequest as LoginBody, Problem, Session } from '../../../../contracts/index.ts';
import { LoginRequest, problemTypeUri } from '../../../../contracts/index.ts';
import { optionalUser, redirectAfterSignIn, startSession } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Sign in · Atrium' }];

/** The sign-in form, as the action reads it: the API's request, and where to go afterwards. */
const LoginForm = z.object({ ...LoginRequest.shape, redirectTo: z.string().optional() });
type LoginField = keyof LoginBody;

export async function loader({ context, request }: Route.LoaderArgs) {
  // Already signed in: straight on to where the user was going.
  if (await optionalUser(context)) {
    throw redirectAfterSignIn(new URL(request.url).searchParams.get('redirectTo'));
  }
  return null;
}

export async function action({ context, request }: Route.ActionArgs) {
  const form = Object.fromEntries(await request.formData());
  const parsed = LoginForm.safeParse(form);
  const email = typeof form.email === 'string' ? form.email : '';
  if (!parsed.success) {
    const fieldErrors: Partial<Record<LoginField, string>> = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if (field === 'email' || field === 'password') fieldErrors[field] ??= issue.message;
    }
    return data({ email, fieldErrors, problem: null }, { status: 400 });
  }
  const result = await callApi<Session>(context, '/api/v1/auth/login', {
    method: 'POST',
    body: { email: parsed.data.email, password: parsed.data.password } satisfies LoginBody,
  });
  if (!result.ok) {
    // The address's organization signs in through its identity provider only.
    if (result.problem.type === problemTypeUri('sso-required')) {
      const params = new URLSearchParams({ email: parsed.data.email, required: '1' });
      if (parsed.data.redirectTo) params.set('redirectTo', parsed.data.redirectTo);
      throw redirect(`/sso?${params}`);
    }
    return data({ email, fieldErrors: {}, problem: result.problem }, { status: result.status });
  }
  startSession(context, result.body);
  throw redirectAfterSignIn(parsed.data.redirectTo);
}

export default function LoginPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const submitting = navigation.state === 'submitting' && navigation.formAction?.startsWith('/login');
  const fieldErrors: Partial<Record<LoginField, string>> = actionData?.fieldErrors ?? {};

  return (
    <Center mih="70vh">
      <Paper withBorder p="xl" w={400} maw="100%">
        <Form method="post" aria-label="Sign in" data-testid="login-form">
          <input type="hidden" name="redirectTo" value={searchParams.get('redirectTo') ?? ''} />
          <Stack gap="md">
            <div>
              <Title order={1} size="h2">
                Sign in
              </Title>
              <Text c="dimmed" size="sm">
                to the Atrium control plane
              </Text>
            </div>
            {searchParams.get('reset') ? (
              <Alert color="green" data-testid="password-changed">
                Your password was changed. Sign in with the new one.
              </Alert>
            ) : null}
            {actionData?.problem ? <LoginProblem problem={actionData.problem} /> : null}
            <TextInput
              name="email"
              type="email"
              label="Email"
              autoComplete="username"
              required
              defaultValue={actionData?.email}
              error={fieldErrors.email}
            />
            <PasswordInput
              name="password"
              label="Password"
              autoComplete="current-password"
              required
              error={fieldErrors.password}
            />
            <Button type="submit" loading={submitting} fullWidth mt="xs">
              Sign in
            </Button>
            <Button
              component={Link}
              to={`/sso${searchParams.get('redirectTo') ? `?${new URLSearchParams({ redirectTo: searchParams.get('redirectTo')! })}` : ''}`}
              variant="default"
              fullWidth
            >
              Sign in with single sign-on
            </Button>
            <Group justify="space-between">
              <Anchor component={Link} to="/signup" size="sm">
                Create an account
              </Anchor>
              <Anchor component={Link} to="/forgot-password" size="sm">
                Forgot password?
              </Anchor>
            </Group>
          </Stack>
        </Form>
      </Paper>
    </Center>
  );
}

/** Wrong password, a locked account (with when to try again) or too many attempts: the API's words. */
function LoginProblem({ problem }: { problem: Problem }) {
  return (
    <Alert color="red" title={problem.title} data-testid="login-problem" data-status={problem.status}>
      {problem.detail}
    </Alert>
  );
}
