import { Alert, Anchor, Stack, Title } from '@mantine/core';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/callback';
import type { Problem } from '../../../../contracts/index.ts';
import { callbackFrom, handOverCallback } from '../../connectors/connectors.server.ts';
import { formatProblem } from '../../connectors/problem-text.ts';
import { loginPath, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Connecting · Atrium' }];

// The provider sends the member's browser here: the exact redirect URI registered at every
// provider. The page hands what came back (code or error, state) to the API as the signed-in
// member, then shows the connection's live status page.
export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const parsed = callbackFrom(new URL(request.url));
  if (!parsed.success) {
    const problem: Problem = {
      type: 'about:blank',
      title: 'This is not an answer from a provider',
      status: 400,
      detail: 'The address has no state, or neither a code nor an error. Start the connection again.',
    };
    return data({ problem }, { status: 400 });
  }
  const result = await handOverCallback({ context, token: accessToken }, parsed.data);
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ problem: result.problem }, { status: result.status });
  }
  throw redirect(
    href('/tenants/:slug/connections/:connectionId', {
      slug: result.body.tenant,
      connectionId: result.body.connectionId,
    }),
  );
}

export default function ConnectorCallbackPage({ loaderData }: Route.ComponentProps) {
  const { problem } = loaderData;
  return (
    <Stack gap="md" maw={640}>
      <Title order={1}>The connection did not go through</Title>
      <Alert color="red" title={problem.title} data-testid="connector-callback-problem">
        {formatProblem(problem)}
      </Alert>
      <Anchor component={Link} to="/tenants">
        Back to your tenants
      </Anchor>
    </Stack>
  );
}
