import { Alert, Paper, Stack, Text, Title } from '@mantine/core';
import { data, href, redirect } from 'react-router';
import type { Route } from './+types/connectors';
import type { Membership, Problem } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { ConnectionsTable } from '../../connectors/ConnectionsTable.tsx';
import { connect, disconnect, listConnections, listProviders } from '../../connectors/connectors.server.ts';
import { formatProblem } from '../../connectors/problem-text.ts';
import { ProviderCatalog } from '../../connectors/ProviderCatalog.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Connectors of ${params.slug} · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { context, token: accessToken, signal: request.signal };
  const [providers, connections, membership] = await Promise.all([
    listProviders(call, params.slug),
    listConnections(call, params.slug),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, {
      token: accessToken,
      signal: request.signal,
    }),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug);
  const hidden = !providers.ok && providers.status === 403;
  return {
    slug: params.slug,
    myRole: mine.role,
    canManage: mine.permissions.includes('connectors.manage'),
    providers: hidden ? null : resultOrThrow(providers, request),
    connections: hidden ? [] : resultOrThrow(connections, request).items,
  };
}

type ActionResult = { problem: Problem | null; disconnected: boolean };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const call = { context, token: accessToken };
  if (formText(form, 'intent') === 'disconnect') {
    const result = await disconnect(call, params.slug, formText(form, 'connectionId'));
    if (!result.ok) {
      if (result.status === 401) throw redirect(loginPath(request));
      return data<ActionResult>({ problem: result.problem, disconnected: false }, { status: result.status });
    }
    return data<ActionResult>({ problem: null, disconnected: true });
  }
  const result = await connect(call, params.slug, formText(form, 'provider'));
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>({ problem: result.problem, disconnected: false }, { status: result.status });
  }
  const { connection } = result.body;
  // To the provider; it sends the browser back to the callback page, which shows the status.
  if (connection.authorizationUrl) throw redirect(connection.authorizationUrl);
  throw redirect(href('/tenants/:slug/connections/:connectionId', { slug: params.slug, connectionId: connection.id }));
}

export default function ConnectorsPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, myRole, canManage, providers, connections } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="connectors" />
      <div>
        <Title order={1}>Connectors</Title>
        <Text c="dimmed">
          Connect this tenant's SaaS accounts. Atrium keeps their tokens in the secret store, never in its database.
        </Text>
      </div>
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="connectors-problem">
          {formatProblem(actionData.problem)}
        </Alert>
      ) : null}
      {actionData?.disconnected ? (
        <Alert color="gray" data-testid="disconnect-started">
          Disconnecting: the tokens are revoked at the provider and deleted.
        </Alert>
      ) : null}
      {providers === null ? (
        <Alert color="gray" data-testid="connectors-hidden">
          Your role ({myRole}) cannot see this tenant's connectors.
        </Alert>
      ) : (
        <>
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              Connections
            </Title>
            <ConnectionsTable slug={slug} connections={connections} canManage={canManage} />
          </Paper>
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="xs">
              Providers
            </Title>
            <Text size="sm" c="dimmed" mb="sm" data-testid="connector-limit">
              {providers.limit === null
                ? `${providers.used} connected; the plan has no connector limit.`
                : `${providers.used} of ${providers.limit} connectors the plan allows are in use.`}
            </Text>
            <ProviderCatalog providers={providers.items} canManage={canManage} />
          </Paper>
        </>
      )}
    </Stack>
  );
}
