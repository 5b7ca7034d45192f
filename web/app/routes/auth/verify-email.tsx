import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { data, Form, Link, useSearchParams } from 'react-router';
import type { Route } from './+types/verify-email';
import type { EmailVerification } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Confirm your email · Atrium' }];

// Confirming takes a click (a POST), not just opening the link: mail scanners that fetch
// links must not use the token up.
export async function action({ context, request }: Route.ActionArgs) {
  const token = (await request.formData()).get('token');
  const result = await callApi<EmailVerification>(context, '/api/v1/auth/verify-email', {
    method: 'POST',
    body: { token: typeof token === 'string' ? token : '' },
  });
  if (!result.ok) return data({ email: null, problem: result.problem }, { status: result.status });
  return { email: result.body.email, problem: null };
}

export default function VerifyEmailPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  return (
    <AuthCard title="Confirm your email address">
      {actionData?.email ? (
        <Alert color="green" title="Email confirmed" data-testid="email-verified">
          {actionData.email} is confirmed.{' '}
          <Anchor component={Link} to="/tenants">
            Continue
          </Anchor>
        </Alert>
      ) : (
        <Form method="post" aria-label="Confirm email">
          <input type="hidden" name="token" value={searchParams.get('token') ?? ''} />
          <Stack gap="sm">
            {actionData?.problem ? (
              <Alert color="red" title={actionData.problem.title} data-testid="verify-problem">
                {actionData.problem.detail}
              </Alert>
            ) : null}
            <Text size="sm">Confirm that this address is yours to finish setting up your account.</Text>
            <Button type="submit">Confirm email</Button>
          </Stack>
        </Form>
      )}
    </AuthCard>
  );
}
