import { Alert, Anchor, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { data, Form, href, Link, redirect, useRevalidator } from 'react-router';
import type { Route } from './+types/connection';
import type { Membership, Problem } from '../../../../contracts/index.ts';
import { CreateSyncRequest } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { ConnectionDetails } from '../../connectors/ConnectionDetails.tsx';
import { DisconnectButton } from '../../connectors/ConnectionsTable.tsx';
import type { SyncAction } from '../../connectors/connectors.server.ts';
import {
  createSync,
  deleteSync,
  disconnect,
  getConnection,
  listSyncRuns,
  listSyncs,
  reconnect,
  syncAction,
} from '../../connectors/connectors.server.ts';
import { formatProblem } from '../../connectors/problem-text.ts';
import { SyncsPanel } from '../../connectors/SyncsPanel.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Connection · Atrium' }];

/** While a connection is on its way somewhere (or a sync runs), the page reads it again this often. */
const POLL_MS = 1_000;
const SYNCABLE = ['active', 'needs_reauth'];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { context, token: accessToken, signal: request.signal };
  const [connectionResult, membership] = await Promise.all([
    getConnection(call, params.slug, params.connectionId),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, {
      token: accessToken,
      signal: request.signal,
    }),
  ]);
  const connection = resultOrThrow(connectionResult, request);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug);
  const syncList = await listSyncs(call, params.slug, params.connectionId);
  const syncs = syncList.ok
    ? await Promise.all(
        syncList.body.items.map(async (sync) => {
          const runs = await listSyncRuns(call, params.slug, params.connectionId, sync.id);
          return { sync, runs: runs.ok ? runs.body.items : null };
        }),
      )
    : [];
  return {
    slug: params.slug,
    connection,
    syncs,
    canManage: mine.permissions.includes('connectors.manage'),
  };
}

type ActionResult = { problem: Problem | null; fieldErrors: Record<string, string>; scope: 'connection' | 'sync' };

const SYNC_ACTIONS: Record<string, SyncAction> = { 'sync-pause': 'pause', 'sync-resume': 'resume', 'sync-run': 'run' };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { context, token: accessToken };
  const form = await request.formData();
  const intent = formText(form, 'intent');
  const answer = (
    result: { ok: true } | { ok: false; status: number; problem: Problem },
    scope: ActionResult['scope'],
  ) => {
    if (result.ok) return data<ActionResult>({ problem: null, fieldErrors: {}, scope });
    if (result.status === 401) throw redirect(loginPath(request));
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return data<ActionResult>({ problem: result.problem, fieldErrors, scope }, { status: result.status });
  };

  if (intent === 'reconnect') {
    const result = await reconnect(call, params.slug, params.connectionId);
    // To the provider: it returns the member to the callback page, which comes back here.
    if (result.ok && result.body.connection.authorizationUrl) throw redirect(result.body.connection.authorizationUrl);
    return answer(result, 'connection');
  }
  if (intent === 'sync-create') {
    // The schema the API reads: never trust the browser checked it.
    const parsed = CreateSyncRequest.safeParse({
      name: formText(form, 'name'),
      resourcePath: formText(form, 'resourcePath'),
      intervalSeconds: Number(formText(form, 'intervalSeconds')),
    });
    if (!parsed.success)
      return data<ActionResult>(
        {
          problem: null,
          fieldErrors: Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), i.message])),
          scope: 'sync',
        },
        { status: 422 },
      );
    return answer(await createSync(call, params.slug, params.connectionId, parsed.data), 'sync');
  }
  const syncId = formText(form, 'syncId');
  if (intent === 'sync-delete') return answer(await deleteSync(call, params.slug, params.connectionId, syncId), 'sync');
  const chosen = SYNC_ACTIONS[intent];
  if (chosen) return answer(await syncAction(call, params.slug, params.connectionId, syncId, chosen), 'sync');
  return answer(await disconnect(call, params.slug, formText(form, 'connectionId')), 'connection');
}

export default function ConnectionPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, connection, syncs, canManage } = loaderData;
  const revalidator = useRevalidator();
  const moving =
    connection.status === 'pending' ||
    connection.status === 'disconnecting' ||
    syncs.some(({ runs }) => runs?.some((run) => run.status === 'running'));
  // A live status: the connect (or disconnect, or a sync run) runs in a workflow; read it again until it settles.
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') void revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [moving, revalidator]);
  const connectionProblem = actionData?.scope === 'connection' ? actionData.problem : null;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="connectors" />
      <div>
        <Title order={1}>{connection.name}</Title>
        <Text c="dimmed" size="sm" ff="monospace">
          {connection.provider}
        </Text>
      </div>
      {connectionProblem ? (
        <Alert color="red" title={connectionProblem.title} data-testid="connection-problem">
          {formatProblem(connectionProblem)}
        </Alert>
      ) : null}
      <Paper withBorder p="md">
        <ConnectionDetails connection={connection} />
        {connection.lastSync ? (
          <Text size="xs" c="dimmed" mt="xs" data-testid="connection-last-sync">
            Last sync {connection.lastSync.status}: {connection.lastSync.counts.fetched} fetched,{' '}
            {connection.lastSync.counts.created} new, {connection.lastSync.counts.updated} updated
          </Text>
        ) : null}
      </Paper>
      <Group gap="sm">
        {canManage && connection.status === 'needs_reauth' ? (
          <Form method="post">
            <input type="hidden" name="intent" value="reconnect" />
            <Button type="submit" size="xs" aria-label={`Reconnect ${connection.name}`}>
              Reconnect
            </Button>
          </Form>
        ) : null}
        <DisconnectButton connection={connection} canManage={canManage} />
      </Group>
      <SyncsPanel
        syncs={syncs}
        canManage={canManage}
        canSync={SYNCABLE.includes(connection.status)}
        minIntervalHint="At least the platform's minimum interval (5 minutes unless configured otherwise)."
        problem={actionData?.scope === 'sync' ? actionData.problem : null}
        fieldErrors={actionData?.scope === 'sync' ? actionData.fieldErrors : {}}
      />
      <Anchor component={Link} to={href('/tenants/:slug/connectors', { slug })}>
        ← All connectors
      </Anchor>
    </Stack>
  );
}
