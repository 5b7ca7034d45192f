import { Alert, Anchor, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { data, href, Link, redirect, useRevalidator } from 'react-router';
import type { Route } from './+types/connection';
import type { Problem } from '../../../../contracts/index.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { ConnectionDetails } from '../../connectors/ConnectionDetails.tsx';
import { DisconnectButton } from '../../connectors/ConnectionsTable.tsx';
import { disconnect, getConnection } from '../../connectors/connectors.server.ts';
import { formatProblem } from '../../connectors/problem-text.ts';
import { formText } from '../../form-text.ts';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Connection · Atrium' }];

/** While a connection is on its way somewhere, the page reads it again this often. */
const POLL_MS = 1_000;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const connection = resultOrThrow(
    await getConnection({ context, token: accessToken, signal: request.signal }, params.slug, params.connectionId),
    request,
  );
  rememberTenant(context, params.slug);
  return { slug: params.slug, connection };
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const result = await disconnect({ context, token: accessToken }, params.slug, formText(form, 'connectionId'));
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<{ problem: Problem }>({ problem: result.problem }, { status: result.status });
  }
  return { problem: null };
}

export default function ConnectionPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, connection } = loaderData;
  const revalidator = useRevalidator();
  const moving = connection.status === 'pending' || connection.status === 'disconnecting';
  // A live status: the connect (or disconnect) runs in a workflow; read it again until it settles.
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') void revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [moving, revalidator]);
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="connectors" />
      <div>
        <Title order={1}>{connection.name}</Title>
        <Text c="dimmed" size="sm" ff="monospace">
          {connection.provider}
        </Text>
      </div>
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="connection-problem">
          {formatProblem(actionData.problem)}
        </Alert>
      ) : null}
      <Paper withBorder p="md">
        <ConnectionDetails connection={connection} />
      </Paper>
      <DisconnectButton connection={connection} canManage />
      <Anchor component={Link} to={href('/tenants/:slug/connectors', { slug })}>
        ← All connectors
      </Anchor>
    </Stack>
  );
}
