import { Alert, Anchor, Button, Stack, Text } from '@mantine/core';
import { data, Form, Link, useSearchParams } from 'react-router';
import type { Route } from './+types/sso-verify-domain';
import type { SsoDomainVerified } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { AuthCard } from '../../components/AuthCard.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Verify a domain · Atrium' }];

// Confirming takes a click (a POST), so mail scanners that open links do not use it up.
export async function action({ context, request }: Route.ActionArgs) {
  const token = (await request.formData()).get('token');
  const result = await callApi<SsoDomainVerified>(context, '/api/v1/sso/domain-verifications', {
    method: 'POST',
    body: { token: typeof token === 'string' ? token : '' },
  });
  if (!result.ok) return data({ verified: null, problem: result.problem }, { status: result.status });
  return { verified: result.body, problem: null };
}

export default function VerifyDomainPage({ actionData }: Route.ComponentProps) {
  const [searchParams] = useSearchParams();
  const verified = actionData?.verified;
  return (
    <AuthCard title="Verify a domain">
      {verified ? (
        <Alert color="green" title="Domain verified" data-testid="domain-verified">
          {verified.domain} now belongs to {verified.tenant.name ?? 'the organization'}: its people sign in through its
          single sign-on.{' '}
          {verified.tenant.slug ? (
            <Anchor component={Link} to={`/tenants/${encodeURIComponent(verified.tenant.slug)}/sso`}>
              Open the SSO settings
            </Anchor>
          ) : null}
        </Alert>
      ) : (
        <Form method="post" aria-label="Verify domain">
          <input type="hidden" name="token" value={searchParams.get('token') ?? ''} />
          <Stack gap="sm">
            {actionData?.problem ? (
              <Alert color="red" title={actionData.problem.title} data-testid="verify-domain-problem">
                {actionData.problem.detail}
              </Alert>
            ) : null}
            <Text size="sm">
              Confirm that the domain belongs to the organization that asked. People with addresses at it will then sign
              in through that organization's identity provider.
            </Text>
            <Button type="submit">Verify domain</Button>
          </Stack>
        </Form>
      )}
    </AuthCard>
  );
}
