import { Alert, Anchor, Stack } from '@mantine/core';
import { data, Link, redirect } from 'react-router';
import type { Route } from './+types/sso-callback';
import { callApi } from '../../api/client.server.ts';
import type { Problem, SsoCallback } from '../../../../contracts/index.ts';
import { problemTypeUri } from '../../../../contracts/index.ts';
import { AuthCard } from '../../components/AuthCard.tsx';
import { rememberTenant, safeRedirect, startSession, takeSsoState } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Signing in · Atrium' }];

// The identity provider sends the browser here (the exact redirect URI registered there).
// The state must be the one this browser's session started; then the API exchanges the
// code, checks the ID token and signs the person in.
export async function loader({ context, request }: Route.LoaderArgs) {
  const url = new URL(request.url);
  const expected = takeSsoState(context);
  const state = url.searchParams.get('state');
  if (!expected || !state || expected !== state) {
    const problem: Problem = {
      type: problemTypeUri('sso-failed'),
      title: 'This sign-in did not start in this browser',
      status: 400,
      detail: 'Start the single sign-on again from the sign-in page.',
    };
    return data({ problem }, { status: 400 });
  }
  const result = await callApi<SsoCallback>(context, '/api/v1/auth/sso/callback', {
    method: 'POST',
    body: { query: url.search.slice(1) },
  });
  if (!result.ok) return data({ problem: result.problem }, { status: result.status });
  startSession(context, result.body.session);
  rememberTenant(context, result.body.tenant.slug);
  throw redirect(safeRedirect(result.body.returnTo, `/tenants/${encodeURIComponent(result.body.tenant.slug)}/members`));
}

export default function SsoCallbackPage({ loaderData }: Route.ComponentProps) {
  const { problem } = loaderData;
  return (
    <AuthCard title="Single sign-on">
      <Stack gap="sm">
        <Alert color="red" title={problem.title} data-testid="sso-callback-problem">
          {problem.detail}
        </Alert>
        <Anchor component={Link} to="/sso">
          Try again
        </Anchor>
      </Stack>
    </AuthCard>
  );
}
