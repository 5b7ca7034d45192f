import { Accordion, Alert, Anchor, Badge, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/webhook-endpoint';
import type {
  Membership,
  Problem,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookReplayStarted,
  WebhookTestResult,
} from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { formText } from '../../form-text.ts';
import { cursorLinks } from '../../components/CursorPager.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';
import type { DeliveryFilters } from '../../webhooks/DeliveryLog.tsx';
import { DeliveryLog } from '../../webhooks/DeliveryLog.tsx';
import { dateTimeLocal, eventTypeGroups } from '../../webhooks/endpoint-form.ts';
import { EndpointControls } from '../../webhooks/EndpointControls.tsx';
import { EndpointForm } from '../../webhooks/EndpointForm.tsx';
import { EndpointStatus } from '../../webhooks/EndpointStatusBadge.tsx';
import { ReplayRangeForm } from '../../webhooks/ReplayRangeForm.tsx';
import { ReplayStartedNotice } from '../../webhooks/ReplayStartedNotice.tsx';
import { SecretNotice } from '../../webhooks/SecretNotice.tsx';
import { TestSendButton } from '../../webhooks/TestSendButton.tsx';
import {
  deleteEndpoint,
  endpointApiPath,
  replay,
  rotateSecret,
  sendTest,
  updateEndpoint,
} from '../../webhooks/webhooks.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Webhook endpoint of ${params.slug} · Atrium` }];

const FILTERS = ['outcome', 'kind', 'eventType'] as const;

export async function loader({ context, params, request, url }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const filters: DeliveryFilters = {
    outcome: url.searchParams.get('outcome') ?? '',
    kind: url.searchParams.get('kind') ?? '',
    eventType: url.searchParams.get('eventType') ?? '',
  };
  const query = new URLSearchParams({ limit: '25' });
  for (const name of [...FILTERS, 'cursor'] as const) {
    const value = url.searchParams.get(name);
    if (value) query.set(name, value);
  }
  const path = endpointApiPath(params.slug, params.endpointId);
  const [endpoint, deliveries, membership] = await Promise.all([
    callApi<WebhookEndpoint>(context, path, call),
    callApi<WebhookDeliveryPage>(context, `${path}/deliveries?${query}`, call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  if (!endpoint.ok && endpoint.status === 403) return { slug: params.slug, myRole: mine.role, visible: false as const };
  // A filter the API refuses shows as a problem over an empty log.
  const log =
    !deliveries.ok && deliveries.status === 422
      ? { items: [], nextCursor: null, problem: deliveries.problem }
      : { ...resultOrThrow(deliveries, request), problem: null };
  // The last hour, ending at the next full minute (a time after now means now to the API).
  const upTo = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  return {
    slug: params.slug,
    myRole: mine.role,
    visible: true as const,
    endpoint: resultOrThrow(endpoint, request),
    canManage: mine.permissions.includes('webhooks.manage'),
    groups: eventTypeGroups(mine.permissions),
    log: { ...log, filters, pages: cursorLinks(url, log.nextCursor), refresh: `${url.pathname}${url.search}` },
    replayDefaults: { from: dateTimeLocal(new Date(upTo.getTime() - 3_600_000)), to: dateTimeLocal(upTo) },
  };
}

type ActionResult =
  | { intent: 'update' | 'set-enabled'; ok: boolean; problem: Problem | null }
  | { intent: 'rotate'; rotated: WebhookEndpointWithSecret | null; problem: Problem | null }
  | { intent: 'test'; result: WebhookTestResult | null; problem: Problem | null }
  | { intent: 'replay' | 'replay-range'; started: WebhookReplayStarted | null; problem: Problem | null };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  form.set('endpointId', params.endpointId);
  const call = { context, slug: params.slug, token: accessToken, form };
  const intent = formText(form, 'intent');
  const answer = (result: ActionResult, status: number) => data<ActionResult>(result, { status });
  const failed = (result: { status: number; problem: Problem }) => {
    if (result.status === 401) throw redirect(loginPath(request));
    return result.problem;
  };

  if (intent === 'delete') {
    const result = await deleteEndpoint(call);
    if (result.ok) throw redirect(href('/tenants/:slug/webhooks', { slug: params.slug }));
    return answer({ intent: 'set-enabled', ok: false, problem: failed(result) }, result.status);
  }
  if (intent === 'update' || intent === 'set-enabled') {
    const result = await updateEndpoint(call);
    return answer({ intent, ok: result.ok, problem: result.ok ? null : failed(result) }, result.status);
  }
  if (intent === 'rotate') {
    const result = await rotateSecret(call);
    return answer(
      { intent, rotated: result.ok ? result.body : null, problem: result.ok ? null : failed(result) },
      result.status,
    );
  }
  if (intent === 'test') {
    const result = await sendTest(call);
    return answer(
      { intent, result: result.ok ? result.body : null, problem: result.ok ? null : failed(result) },
      result.status,
    );
  }
  if (intent === 'replay' || intent === 'replay-range') {
    if (intent === 'replay-range') form.delete('eventId');
    const result = await replay(call);
    return answer(
      { intent, started: result.ok ? result.body : null, problem: result.ok ? null : failed(result) },
      result.status,
    );
  }
  throw data(null, { status: 400 });
}

export default function WebhookEndpointPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="webhooks" />
      <Anchor component={Link} to={href('/tenants/:slug/webhooks', { slug })} size="sm">
        ← All endpoints
      </Anchor>
      {loaderData.visible ? (
        <EndpointPage {...loaderData} actionData={actionData} />
      ) : (
        <Alert color="gray" data-testid="webhooks-hidden">
          Your role ({loaderData.myRole}) cannot see this tenant's webhooks (owners, admins and developers can).
        </Alert>
      )}
    </Stack>
  );
}

function EndpointPage({
  endpoint,
  myRole,
  canManage,
  groups,
  log,
  replayDefaults,
  actionData,
}: Extract<Route.ComponentProps['loaderData'], { visible: true }> & { actionData: ActionResult | undefined }) {
  const rotated = actionData?.intent === 'rotate' ? actionData.rotated : null;
  const rangeAnswer = actionData?.intent === 'replay-range' ? actionData : null;
  const canReplay = canManage && endpoint.status !== 'disabled';
  return (
    <>
      <Stack gap="xs">
        <Title order={1}>Webhook endpoint</Title>
        <Text ff="monospace" fw={500} style={{ wordBreak: 'break-all' }} data-testid="endpoint-url">
          {endpoint.url}
        </Text>
        {endpoint.description ? <Text c="dimmed">{endpoint.description}</Text> : null}
        <Group gap="sm" align="flex-start">
          <EndpointStatus endpoint={endpoint} />
          <Group gap={4}>
            <Text size="sm" c="dimmed">
              created
            </Text>
            <Timestamp value={endpoint.createdAt} c="dimmed" />
          </Group>
        </Group>
        <Group gap={4}>
          {endpoint.eventTypes.map((type) => (
            <Badge key={type} variant="outline" color="gray" tt="none" size="sm">
              {type}
            </Badge>
          ))}
        </Group>
        {canManage ? null : (
          <Text c="dimmed" size="sm" data-testid="read-only-note">
            Your role ({myRole}) can see this endpoint and its deliveries, not send, replay or change anything.
          </Text>
        )}
      </Stack>

      {rotated ? <SecretNotice secret={rotated.secret} title="New signing secret" /> : null}
      {actionData?.intent === 'update' && actionData.ok ? (
        <Alert color="green" data-testid="endpoint-saved">
          Changes saved.
        </Alert>
      ) : null}
      {rangeAnswer?.started ? <ReplayStartedNotice started={rangeAnswer.started} /> : null}

      {canManage ? (
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
          <Paper withBorder p="md">
            <Stack gap="xs">
              <Title order={2} size="h4">
                Test
              </Title>
              <Text size="sm" c="dimmed">
                Sends a signed <code>webhook.test</code> event now and shows what the endpoint answered. Works whatever
                the endpoint's status.
              </Text>
              <TestSendButton endpointId={endpoint.id} />
            </Stack>
          </Paper>
          <Paper withBorder p="md">
            <EndpointControls
              endpoint={endpoint}
              problem={
                (actionData?.intent === 'set-enabled' || actionData?.intent === 'rotate') && actionData.problem
                  ? actionData.problem
                  : null
              }
            />
          </Paper>
        </SimpleGrid>
      ) : null}

      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Delivery log
        </Title>
        {log.problem ? (
          <Alert color="red" mb="sm" title={log.problem.title} data-testid="delivery-log-problem">
            {log.problem.errors?.map((e) => `${e.path}: ${e.message}`).join(' ') ?? log.problem.detail}
          </Alert>
        ) : null}
        <DeliveryLog
          endpointId={endpoint.id}
          items={log.items}
          filters={log.filters}
          pages={log.pages}
          canReplay={canReplay}
          refresh={log.refresh}
        />
      </Paper>

      {canManage ? (
        <Paper withBorder p="md">
          <Accordion variant="default" defaultValue={rangeAnswer?.problem ? 'replay' : null}>
            <Accordion.Item value="replay">
              <Accordion.Control>Replay a time range</Accordion.Control>
              <Accordion.Panel>
                {canReplay ? (
                  <ReplayRangeForm
                    endpointId={endpoint.id}
                    defaults={replayDefaults}
                    problem={rangeAnswer?.problem ?? null}
                  />
                ) : (
                  <Text size="sm">The endpoint is disabled: enable it to replay events to it.</Text>
                )}
              </Accordion.Panel>
            </Accordion.Item>
            <Accordion.Item value="edit">
              <Accordion.Control>Edit the endpoint</Accordion.Control>
              <Accordion.Panel>
                <EndpointForm
                  endpoint={endpoint}
                  groups={groups}
                  problem={actionData?.intent === 'update' ? actionData.problem : null}
                  done={actionData?.intent === 'update' && actionData.ok}
                  label="Edit the webhook endpoint"
                />
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
        </Paper>
      ) : null}
    </>
  );
}
